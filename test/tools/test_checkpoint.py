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
    # The authors' own names (test_twinvla_authors.py checks all of them against their save).
    assert "vision_c.vision_model.encoder.layers.0.self_attn.q_proj.weight" in names
    assert "mlp1.1.weight" in names and "mlp1.3.weight" in names
    assert "backbone_l.0.self_attn.q_proj.bias" in names and "backbone_r.1.mlp.gate_proj.weight" in names
    assert "gates.23.bias" in names and "decoder_c.net.blocks.0.attn.qkv.weight" in names
    names = set(fresh("twinbrainvla", 0).state_dict())
    brain = "qwen_vl_interface.frozen_vlm.model.model."
    assert f"{brain}language_model.layers.0.self_attn.k_proj.weight" in names
    assert f"{brain}visual.patch_embed.proj.weight" in names and f"{brain}visual.blocks.1.attn.qkv.bias" in names
    assert "qwen_vl_interface.trainable_vlm.model.model.visual.merger.mlp.0.weight" in names
    assert "qwen_vl_interface.trainable_vlm.model.lm_head.weight" in names
    assert "action_model.model.transformer_blocks.0.attn1.to_out.0.weight" in names
    assert "action_model.model.transformer_blocks.1.ff.net.0.proj.weight" in names
    assert "action_model.model.timestep_encoder.timestep_embedder.linear_1.weight" in names
    assert "action_model.action_encoder.layer3.weight" in names and "action_model.model.proj_out_2.weight" in names


def test_reports_missing_unexpected_and_reshaped_keys():
    src = fresh("twinbrainvla", 1).state_dict()
    sd = dict(src)
    del sd["action_model.action_decoder.layer2.weight"]
    sd["action_model.extra_head.weight"] = torch.zeros(3)
    norm = "qwen_vl_interface.frozen_vlm.model.model.language_model.norm.weight"
    sd[norm] = torch.zeros(7)
    report = load_into(fresh("twinbrainvla", 2), sd)
    assert not report.complete
    assert report.missing == ["action_model.action_decoder.layer2.weight"]
    assert report.unexpected == ["action_model.extra_head.weight"]
    assert report.mismatched == [f"{norm}: checkpoint (7,) vs model (64,)"]
    assert "1 missing, 1 unexpected, 1 with another shape" in report.summary()


def test_strip_prefix():
    src = fresh("twinvla", 3).state_dict()
    report = load_into(fresh("twinvla", 4), {f"module.{k}": v for k, v in src.items()}, strip_prefix="module.")
    assert report.complete


def test_published_presets_have_the_published_dimensions():
    """Built on the meta device: shapes only, no memory. (TwinVLA: test_twinvla_authors.py.)"""
    cfg = preset("twinbrainvla", "published")
    h = cfg.head
    assert (h.input_embedding_dim, h.num_layers, h.num_attention_heads, h.output_dim, h.hidden_size) == (768, 16, 12, 2560, 1024)
    assert cfg.horizon == 16 and cfg.image_size == 224 and cfg.tokens_per_image() == 64
    assert (cfg.text.hidden_size, cfg.text.num_hidden_layers, cfg.text.vocab_size) == (2048, 36, 151936)
    assert (cfg.vision.hidden_size, cfg.vision.depth, cfg.vision.fullatt_block_indexes) == (1280, 32, (7, 15, 23, 31))
    with torch.device("meta"):
        m = family("twinvla").build("published", TOK)
    assert len(m.backbone_l) == 24 and m.mlp1[1].weight.shape == (896, 4608) and len(m.decoder_c.net.blocks) == 24


def test_bf16_and_wrapped_pt_and_sharded_safetensors_load(tmp_path):
    """Authors save bf16 (TwinVLA's default dtype) or mixed; .pt files wrap the dict; large
    checkpoints are sharded with an index. Each loads and is cast to the model's dtype."""
    import json
    src = fresh("twinvla", 5)
    sd = {k: v.detach().to(torch.bfloat16).contiguous() for k, v in src.state_dict().items()}
    torch.save({"state_dict": sd, "step": 3}, str(tmp_path / "wrapped.pt"))
    names = sorted(sd)
    half = len(names) // 2
    shard = tmp_path / "sharded"
    shard.mkdir()
    save_file({k: sd[k] for k in names[:half]}, str(shard / "model-00001-of-00002.safetensors"))
    save_file({k: sd[k] for k in names[half:]}, str(shard / "model-00002-of-00002.safetensors"))
    (shard / "model.safetensors.index.json").write_text(json.dumps(
        {"weight_map": {k: f"model-0000{1 if i < half else 2}-of-00002.safetensors" for i, k in enumerate(names)}}))
    for path in (tmp_path / "wrapped.pt", shard):
        dst = fresh("twinvla", 6)
        report = load_into(dst, read_state_dict(path))
        assert report.complete and report.loaded == len(sd), report.summary()
        assert report.dtypes == {"bfloat16": len(sd)}
        for k, v in dst.state_dict().items():
            assert v.dtype == torch.float32 and torch.equal(v, sd[k].float()), k


def test_aliases_are_checked_against_their_source_and_renames_apply():
    model = torch.nn.Module()
    model.embed = torch.nn.Embedding(4, 3)
    model.head = torch.nn.Linear(3, 4, bias=False)
    w = torch.randn(4, 3)
    # The checkpoint keeps one copy under another name (renamed) and a second name that must agree.
    ok = load_into(model, {"tok.weight": w, "alias.embed.weight": w.clone()},
                   renames={"tok.weight": "embed.weight"},
                   aliases={"alias.embed.weight": "embed.weight", "head.weight": "embed.weight"})
    assert ok.complete and ok.aliased == ["alias.embed.weight"], ok.summary()
    assert torch.equal(model.head.weight, w)  # the tied duplicate the checkpoint left out
    bad = load_into(model, {"embed.weight": w, "head.weight": w, "alias.embed.weight": w + 1},
                    aliases={"alias.embed.weight": "embed.weight"})
    assert bad.mismatched == ["alias.embed.weight: an alias of embed.weight that differs from it"]
    assert "0 missing, 0 unexpected, 1 with another shape" in bad.summary()


def test_a_pt_file_without_tensors_is_refused_with_its_name(tmp_path):
    import pytest
    torch.save({"step": 3}, str(tmp_path / "opt.pt"))
    with pytest.raises(ValueError, match=r"opt\.pt does not hold a state dict of tensors"):
        read_state_dict(tmp_path / "opt.pt")


def test_alias_copies_load_once_and_a_differing_copy_is_reported():
    """PhysBrainVLA's state dict holds the trainable brain twice (qwen_vl_interface.model.* aliases)."""
    from twinvla_tools.families import checkpoint_aliases
    model = fresh("twinbrainvla", 1)
    src = model.state_dict()
    sd = {k: v.to(torch.bfloat16) for k, v in src.items()}
    for k, v in list(sd.items()):
        if k.startswith("qwen_vl_interface.trainable_vlm.model."):
            sd["qwen_vl_interface.model." + k[len("qwen_vl_interface.trainable_vlm.model."):]] = v.clone()
    report = load_into(fresh("twinbrainvla", 2), sd, aliases=checkpoint_aliases(model))
    assert report.complete, report.summary()
    assert report.loaded == len(src)
    assert len(report.aliased) == sum(k.startswith("qwen_vl_interface.trainable") for k in src)
    key = "qwen_vl_interface.model.lm_head.weight"
    sd[key] = sd[key] + 1
    report = load_into(fresh("twinbrainvla", 2), sd, aliases=checkpoint_aliases(model))
    assert report.mismatched == [f"{key}: an alias of qwen_vl_interface.trainable_vlm.model.lm_head.weight "
                                 "that differs from it"]
