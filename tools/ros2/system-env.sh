# With a system ROS 2 sourced (tools/ros2/provision.sh installs nothing): only the test settings.
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
