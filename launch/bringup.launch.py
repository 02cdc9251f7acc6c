"""Bring up twinvla: the PolicyNode (GPU inference) and a left and a right ArmExecutor.

    ros2 launch twinvla bringup.launch.py params_file:=/path/to/robot.yaml [model:=/path/to/model]

By default the three nodes run as separate processes: each executor alone in its process, which
takes real-time priority (the executors' realtime_priority parameter, SCHED_FIFO 50, where the
machine permits it), so that inference cannot delay the control ticks (P4 in the README), and the
policy can run on a GPU machine and the executors beside the controllers. single_process:=true runs
the three in one process (one ROS context; the executors at normal priority). The executors start disabled unless autostart:=true; enable one with
    ros2 service call /twinvla_left_executor/enable std_srvs/srv/SetBool "{data: true}"
"""
import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, GroupAction, OpaqueFunction
from launch.conditions import IfCondition, UnlessCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node, PushRosNamespace
from launch_ros.parameter_descriptions import ParameterValue


def generate_launch_description():
    share = get_package_share_directory('twinvla')
    arguments = [
        DeclareLaunchArgument(
            'model', default_value='',
            description='Model folder (with model.yaml), or the name of a model under share/twinvla/models; '
                        'empty (the default): the model parameter of params_file (twinvla-tiny, random weights, if it has none).'),
        DeclareLaunchArgument(
            'params_file', default_value=os.path.join(share, 'params', 'twinvla.yaml'),
            description='ROS 2 parameters file for the three nodes (see params/: twinvla.yaml, aloha.yaml, dual_arm_servo.yaml).'),
        DeclareLaunchArgument(
            'namespace', default_value='',
            description='Namespace pushed onto all three nodes (one robot per namespace).'),
        DeclareLaunchArgument(
            'use_sim_time', default_value='false', choices=['true', 'false'],
            description='Use /clock (for `ros2 bag play --clock`) instead of the system clock.'),
        DeclareLaunchArgument(
            'autostart', default_value='false', choices=['true', 'false'],
            description='Enable the arm executors at start; otherwise they publish no command until ~/enable is called.'),
        DeclareLaunchArgument(
            'log_level', default_value='info', choices=['debug', 'info', 'warn', 'error'],
            description='Log level of the three nodes.'),
        DeclareLaunchArgument(
            'single_process', default_value='false', choices=['true', 'false'],
            description='Run the three nodes as three processes (the default: each executor alone in its process, '
                        'at real-time priority per its realtime_priority) or in one process (shared context, '
                        'the executors at normal priority beside inference).'),
    ]

    return LaunchDescription(arguments + [OpaqueFunction(function=_nodes)])


def _nodes(context):
    # A model given as the launch argument overrides the params file's; empty leaves the file's own.
    model = LaunchConfiguration('model').perform(context)
    model_override = {'model': model} if model else {}
    params_file = LaunchConfiguration('params_file')
    use_sim_time = ParameterValue(LaunchConfiguration('use_sim_time'), value_type=bool)
    start_enabled = ParameterValue(LaunchConfiguration('autostart'), value_type=bool)
    ros_arguments = ['--log-level', LaunchConfiguration('log_level')]
    single_process = LaunchConfiguration('single_process')

    one_process = Node(
        package='twinvla', executable='bringup', output='screen', emulate_tty=True,
        parameters=[params_file, {**model_override, 'start_enabled': start_enabled, 'use_sim_time': use_sim_time}],
        ros_arguments=ros_arguments, condition=IfCondition(single_process))

    def executor(arm):
        return Node(
            package='twinvla', executable='arm_executor', name=f'twinvla_{arm}_executor', output='screen',
            parameters=[params_file, {'arm': arm, 'start_enabled': start_enabled, 'use_sim_time': use_sim_time}],
            ros_arguments=ros_arguments, condition=UnlessCondition(single_process))

    policy = Node(
        package='twinvla', executable='policy_node', name='twinvla_policy', output='screen',
        parameters=[params_file, {**model_override, 'use_sim_time': use_sim_time}],
        ros_arguments=ros_arguments, condition=UnlessCondition(single_process))

    return [GroupAction([PushRosNamespace(LaunchConfiguration('namespace')), one_process, policy, executor('left'), executor('right')])]
