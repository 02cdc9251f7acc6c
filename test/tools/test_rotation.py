import numpy as np

from twinvla_tools.rotation import (matrix_to_quaternion, matrix_to_rot6d, quaternion_to_matrix, rot6d_to_matrix,
                                    rpy_to_matrix)


def random_rotations(n, seed=0):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(n, 4))
    return [quaternion_to_matrix(x) for x in q]


def test_rot6d_is_the_first_two_columns():
    r = rpy_to_matrix(0.3, -0.2, 1.1)
    assert np.allclose(matrix_to_rot6d(r), [r[0, 0], r[1, 0], r[2, 0], r[0, 1], r[1, 1], r[2, 1]])


def test_rot6d_round_trip():
    for r in random_rotations(500):
        assert np.allclose(rot6d_to_matrix(matrix_to_rot6d(r)), r, atol=1e-12)


def test_gram_schmidt_orthonormalises_noisy_input():
    rng = np.random.default_rng(1)
    for r in random_rotations(200, seed=2):
        d = matrix_to_rot6d(r) * 2.5 + rng.normal(scale=0.05, size=6)
        m = rot6d_to_matrix(d)
        assert np.allclose(m.T @ m, np.eye(3), atol=1e-12)
        assert np.isclose(np.linalg.det(m), 1.0)


def test_quaternion_round_trip_with_positive_w():
    for r in random_rotations(500, seed=3):
        q = matrix_to_quaternion(r)
        assert q[3] >= 0 and np.isclose(np.linalg.norm(q), 1.0)
        assert np.allclose(quaternion_to_matrix(q), r, atol=1e-12)
