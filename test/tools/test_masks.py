"""The joint-attention mask and position ids against the layout MODELS.md describes, written out
by hand for a small case; AsyMoT's mask likewise."""
import torch

from twinvla_tools.masks import asymot_mask, joint_attention_mask, joint_position_ids

# C = 3 common tokens, L = 2 tokens per arm: [c0 c1 c2 | l0 l1 | r0 r1]
EXPECTED = [
    # c0 c1 c2 l0 l1 r0 r1
    [1, 0, 0, 0, 0, 0, 0],  # c0
    [1, 1, 0, 0, 0, 0, 0],  # c1
    [1, 1, 1, 0, 0, 0, 0],  # c2: common never sees arm tokens
    [1, 1, 1, 1, 0, 1, 0],  # l0: all common, causal in left, right j <= 0
    [1, 1, 1, 1, 1, 1, 1],  # l1: right j <= 1
    [1, 1, 1, 1, 0, 1, 0],  # r0: left j <= 0 (not all of left, as plain causal would give)
    [1, 1, 1, 1, 1, 1, 1],  # r1
]


def test_joint_attention_mask_matches_the_layout():
    assert joint_attention_mask(3, 2).int().tolist() == EXPECTED


def test_joint_attention_mask_is_symmetric_between_the_arms():
    m = joint_attention_mask(5, 4)
    left_to_right = m[5:9, 9:13]
    right_to_left = m[9:13, 5:9]
    assert torch.equal(left_to_right, right_to_left)
    assert torch.equal(left_to_right, torch.ones(4, 4, dtype=torch.bool).tril())


def test_position_ids_reuse_the_arm_positions():
    assert joint_position_ids(3, 2).tolist() == [0, 1, 2, 3, 4, 3, 4]


def test_asymot_mask_left_causal_by_index_and_open_to_extra_right_rows():
    # Left 3 tokens, right 5 tokens, joint layer: [left 3 | right 5] columns.
    m = asymot_mask(3, 5, joint=True).int().tolist()
    assert m == [
        [1, 0, 0, 1, 0, 0, 0, 0],
        [1, 1, 0, 1, 1, 0, 0, 0],
        [1, 1, 1, 1, 1, 1, 0, 0],
        [1, 1, 1, 1, 1, 1, 1, 0],  # rows past the left length see all of it
        [1, 1, 1, 1, 1, 1, 1, 1],
    ]


def test_asymot_mask_non_joint_layer_sees_only_itself():
    m = asymot_mask(3, 2, joint=False).int().tolist()
    assert m == [[0, 0, 0, 1, 0], [0, 0, 0, 1, 1]]
