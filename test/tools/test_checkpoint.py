"""Loading state dicts by name, and reporting what does not match."""
import torch
from safetensors.torch import save_file

from twinvla_tools.checkpoint import load_into, read_state_dict
from twinvla_tools.families import family
from twinvla_tools.presets import preset
from twinvla_tools.tokenizer import build_tokenizer

TOK = build_tokenizer()


def fresh(name, seed):
    torch.manual_seed(seed)
    return family(name).build("tiny", TOK)


def test_round_trip_through_safetensors_and_pt(tmp_path):
    src = fresh("twinvla", 1)
    sd = {k: v.contiguous() for k, v in src.state_dict().items()}
    save_file(sd, str(tmp_path / "model.safetensors"))
    torch.save(sd, str(tmp_path / "model.pt"))
    for f in ("model.safetensors", "model.pt"):
        dst = fresh("twinvla", 2)
        report = load_into(dst, read_state_dict(tmp_path / f))
        assert report.complete, report.summary()
        assert all(torch.equal(a, b) for a, b in zip(src.state_dict().values(), dst.state_dict().values()))


def test_public_names_are_used():
    names = set(fresh("twinvla", 0).state_dict())
    assert "vision_model.vision_model.encoder.layers.0.self_attn.q_proj.weight" in names
    assert "mlp1.1.weight" in names and "mlp1.3.weight" in names
    assert "left_vla.language_model.model.layers.0.self_attn.q_proj.bias" in names
    assert "right_vla.language_model.model.layers.1.mlp.gate_proj.weight" in names
    names = set(fresh("twinbrainvla", 0).state_dict())
    assert "frozen_vlm.model.layers.0.self_attn.k_proj.weight" in names
    assert "trainable_vlm.visual.merger.mlp.0.weight" in names


def test_reports_missing_unexpected_and_reshaped_keys():
    src = fresh("twinbrainvla", 1).state_dict()
    sd = dict(src)
    del sd["action_model.action_decoder.weight"]
    sd["action_model.extra_head.weight"] = torch.zeros(3)
    sd["frozen_vlm.model.norm.weight"] = torch.zeros(7)
    report = load_into(fresh("twinbrainvla", 2), sd)
    assert not report.complete
    assert report.missing == ["action_model.action_decoder.weight"]
    assert report.unexpected == ["action_model.extra_head.weight"]
    assert report.mismatched == ["frozen_vlm.model.norm.weight: checkpoint (7,) vs model (64,)"]
    assert "1 missing, 1 unexpected, 1 with another shape" in report.summary()


def test_strip_prefix():
    src = fresh("twinvla", 3).state_dict()
    report = load_into(fresh("twinvla", 4), {f"module.{k}": v for k, v in src.items()}, strip_prefix="module.")
    assert report.complete


def test_published_presets_have_the_published_dimensions():
    """Built on the meta device: shapes only, no memory."""
    with torch.device("meta"):
        m = family("twinvla").build("published", TOK)
    lm = m.left_vla.language_model.model
    assert len(lm.layers) == 24 and lm.norm.weight.shape == (896,)
    assert lm.layers[0].self_attn.k_proj.weight.shape == (128, 896)  # 2 KV heads x 64
    assert len(m.vision_model.vision_model.encoder.layers) == 27
    assert m.mlp1[1].weight.shape == (896, 4608)
    assert m.action_head.cond_proj.weight.shape == (896, 906)
    assert len(m.action_head.blocks) == 24 and m.action_head.pos_embed.shape == (21, 1024)
    cfg = preset("twinbrainvla", "published")
    assert cfg.dit.width == 768 and cfg.dit.layers == 16 and cfg.dit.heads == 12 and cfg.horizon == 16
