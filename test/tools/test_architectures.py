"""Behaviour of the reference architectures that the masks alone do not show."""
import copy

import torch

from twinvla_tools.families import family
from twinvla_tools.tokenizer import build_tokenizer

TOK = build_tokenizer()


def build(name, seed=0):
    torch.manual_seed(seed)
    return family(name).build("tiny", TOK).eval()


def images(seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 256, (1, 56, 56, 3), generator=g, dtype=torch.uint8) for _ in range(3)]


@torch.no_grad()
def test_asymot_right_brain_reads_the_left_and_stays_causal():
    """The right brain's states depend on the left brain's (AsyMoT), and a change at the end of the
    right stream leaves its earlier positions unchanged (causal)."""
    m = build("twinbrainvla")
    hidden = m.cfg.text.hidden_size
    g = torch.Generator().manual_seed(1)
    fixed = m.static_positions.shape[1]
    left, right = torch.randn(1, fixed + 10, hidden, generator=g), torch.randn(1, fixed + 15, hidden, generator=g)
    cos_l, sin_l = m._rope(10)
    cos_r, sin_r = m._rope(15)
    h = m.run_brains(left, right, cos_l, sin_l, cos_r, sin_r)
    right2 = right.clone()
    right2[:, -1] += 1.0
    h2 = m.run_brains(left, right2, cos_l, sin_l, cos_r, sin_r)
    assert torch.equal(h[:, :-1], h2[:, :-1]) and not torch.allclose(h[:, -1], h2[:, -1])
    left2 = left.clone()
    left2[:, 3] += 1.0
    h3 = m.run_brains(left2, right, cos_l, sin_l, cos_r, sin_r)
    assert torch.equal(h[:, :3], h3[:, :3]) and not torch.allclose(h[:, 3:], h3[:, 3:])


@torch.no_grad()
def test_twinvla_common_tokens_do_not_see_arm_tokens():
    """A change in the right wrist image changes the right readout but not the conditioning of the
    left arm's earlier-than-the-image tokens... checked on the whole left z: the left arm's readout
    sees right tokens up to its own index, so it does change; the common stream must not."""
    m = build("twinvla")
    h, lw, rw = images(2)
    ids = torch.tensor([[4, 5, 6]])
    state = torch.zeros(1, 20)
    z, _ = m.encode(h, lw, rw, ids, state)
    z2, _ = m.encode(h, lw, images(3)[2], ids, state)
    assert not torch.allclose(z[:, 1], z2[:, 1])  # the right arm's condition depends on its wrist


@torch.no_grad()
def test_twinvla_arm_tokens_see_the_other_arm_only_up_to_their_index():
    m = build("twinvla")
    torch.manual_seed(5)
    c_len, a_len, hidden = 4, 3, m.cfg.lm.hidden
    from twinvla_tools.masks import joint_attention_mask, joint_position_ids, common_key_weight
    from twinvla_tools.layers import rope_cos_sin
    c, l, r = torch.randn(1, c_len, hidden), torch.randn(1, a_len, hidden), torch.randn(1, a_len, hidden)
    allowed = joint_attention_mask(c_len, a_len)
    cos, sin = rope_cos_sin(joint_position_ids(c_len, a_len), hidden // m.cfg.lm.heads, 1e6)
    kw = common_key_weight(c_len, a_len, 2.0)
    out = m._joint_layer(0, c, l, r, cos, sin, allowed, kw)
    r2 = r.clone()
    r2[:, 2] += 1.0  # the right arm's last token
    out2 = m._joint_layer(0, c, l, r2, cos, sin, allowed, kw)
    assert torch.equal(out[0], out2[0])  # common unchanged
    assert torch.allclose(out[1][:, :2], out2[1][:, :2])  # left tokens 0, 1 cannot see right token 2
    assert not torch.allclose(out[1][:, 2], out2[1][:, 2])  # left token 2 can


@torch.no_grad()
def test_twinvla_guidance_token_replaces_z():
    """The null condition is the DiT's learned `uncondition` (DiT_policy.py:76), for both arms."""
    m = build("twinvla")
    h, lw, rw = images(4)
    z, z_null = m.encode(h, lw, rw, torch.tensor([[4, 5]]), torch.zeros(1, 20))
    assert torch.equal(z_null[0, 0], m.decoder_c.net.z_embedder.uncondition[0])
    assert torch.equal(z_null[0, 1], m.decoder_c.net.z_embedder.uncondition[0])
