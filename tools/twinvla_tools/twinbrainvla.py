"""TwinBrainVLA (PhysBrainVLA's inference path): a frozen Qwen2.5-VL or Qwen3-VL (left brain) beside a
trainable one (right brain) joined by AsyMoT, the right brain's `<|action|>` readout, and starVLA's GR00T-style
action head.

Names are the authors' state-dict names: `qwen_vl_interface.{frozen,trainable}_vlm.model.model.
{visual,language_model}.*` and `.model.lm_head` (kept so that a checkpoint loads whole; the action
path never reads it), `action_model.*`. The checkpoint's alias copies under `qwen_vl_interface.model.*`
are the trainable brain again (see families.ALIASES).

Prompts (QWen2_5.build_qwenvl_inputs, QWen3.build_qwenvl_inputs): each brain gets its base's chat
template (Qwen2.5-VL's adds its default system prompt, Qwen3-VL's adds none; PhysBrainVLA's own
system prompts are swallowed as keyword arguments), the cameras inside the user turn, the (CoT-wrapped) text, the assistant generation
prompt. Left text: the instruction. Right text: "Instruction: {inst}\\nAction Query: " and
`action_queries` `<|action|>` tokens joined by spaces. The fixed part before the text (system turn,
user header, image blocks) lives in the graph; the text after the images is the prompt input."""
from __future__ import annotations

import torch
from torch import nn

from .gr00t_head import ActionHead
from .layers import (QwenDecoderLayer, RMSNorm, apply_rope, masked_softmax_attention, merge_heads, repeat_kv,
                     split_heads)
from .masks import asymot_mask, causal_mask
from .mrope import mrope_cos_sin, static_positions
from .qwen25_vision import Qwen25Vision
from .qwen3_text import Qwen3DecoderLayer
from .qwen3_vision import Qwen3Vision
from .twinbrainvla_config import QWEN3, TwinBrainVLAConfig

SYSTEM = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
USER = "<|im_start|>user\n"
GENERATION = "<|im_end|>\n<|im_start|>assistant\n"
ACTION_TOKEN = "<|action|>"
STATE_TOKEN = "<|propri|>"


def prompt_prefix(cfg: TwinBrainVLAConfig) -> str:
    """The chat template's text before the first image: Qwen2.5-VL's template opens with its default
    system turn when the conversation has none; Qwen3-VL's opens with the user turn."""
    return USER if cfg.vision.kind == QWEN3 else SYSTEM


def prompt_templates(cfg: TwinBrainVLAConfig) -> dict[str, str]:
    """The text after the images, per brain, with {instruction} where the instruction goes."""
    wrap = (lambda s: cfg.cot_prompt.replace("{instruction}", s)) if cfg.cot_prompt else (lambda s: s)
    right = ("Instruction: {instruction}\nAction Query: " + " ".join([ACTION_TOKEN] * cfg.action_queries)).strip()
    return {"input_ids_left": wrap("{instruction}") + GENERATION, "input_ids_right": wrap(right) + GENERATION}


class LanguageModel(nn.Module):
    def __init__(self, vocab: int, t):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, t.hidden_size)
        self.layers = nn.ModuleList(
            Qwen3DecoderLayer(t) if t.qk_norm else
            QwenDecoderLayer(t.hidden_size, t.num_attention_heads, t.num_key_value_heads, t.intermediate_size,
                             t.rms_norm_eps) for _ in range(t.num_hidden_layers))
        self.norm = RMSNorm(t.hidden_size, t.rms_norm_eps)


def rotated_qkv(attn: nn.Module, h: torch.Tensor, heads: int, kv_heads: int, cos, sin):
    """q, k (rotated) and v (B, heads, S, head_dim) of one layer (the authors' _project_qkv, then RoPE).
    Qwen2.5-VL's path keeps the operation order of the committed graphs (they regenerate byte for byte)."""
    if hasattr(attn, "project"):
        q, k, v = attn.project(h)
        return apply_rope(q, cos, sin), apply_rope(k, cos, sin), v
    q = apply_rope(split_heads(attn.q_proj(h), heads), cos, sin)
    k = apply_rope(split_heads(attn.k_proj(h), kv_heads), cos, sin)
    return q, k, split_heads(attn.v_proj(h), kv_heads)


class QwenVLModel(nn.Module):
    def __init__(self, vocab: int, cfg: TwinBrainVLAConfig):
        super().__init__()
        tower = Qwen3Vision if cfg.vision.kind == QWEN3 else Qwen25Vision
        self.visual = tower(cfg.vision, cfg.image_size)
        self.language_model = LanguageModel(vocab, cfg.text)


class QwenVLForConditionalGeneration(nn.Module):
    def __init__(self, vocab: int, cfg: TwinBrainVLAConfig):
        super().__init__()
        self.model = QwenVLModel(vocab, cfg)
        self.lm_head = nn.Linear(cfg.text.hidden_size, vocab, bias=False)


class VLMInterface(nn.Module):
    def __init__(self, vocab: int, cfg: TwinBrainVLAConfig):
        super().__init__()
        self.model = QwenVLForConditionalGeneration(vocab, cfg)


class MoTInterface(nn.Module):
    def __init__(self, cfg: TwinBrainVLAConfig, frozen_vocab: int, trainable_vocab: int):
        super().__init__()
        self.frozen_vlm = VLMInterface(frozen_vocab, cfg)
        self.trainable_vlm = VLMInterface(trainable_vocab, cfg)


class TwinBrainVLA(nn.Module):
    """prefix_ids: the token ids of prompt_prefix(cfg); vision_start / vision_end / action: token ids."""

    def __init__(self, cfg: TwinBrainVLAConfig, frozen_vocab: int, trainable_vocab: int, prefix_ids: list[int],
                 vision_start: int, vision_end: int, action: int):
        super().__init__()
        self.cfg = cfg
        self.action_token = action
        self.qwen_vl_interface = MoTInterface(cfg, frozen_vocab, trainable_vocab)
        self.action_model = ActionHead(cfg.head, cfg.text.hidden_size)
        for p in self.qwen_vl_interface.frozen_vlm.parameters():
            p.requires_grad_(False)
        grid = cfg.image_size // cfg.vision.patch_size // cfg.vision.spatial_merge_size
        pos, self.text_start = static_positions(len(prefix_ids), 3, grid)
        self.register_buffer("static_positions", pos, persistent=False)
        self.register_buffer("prefix_ids", torch.tensor([prefix_ids]), persistent=False)
        self.register_buffer("vision_ids", torch.tensor([[vision_start, vision_end]]), persistent=False)
        self.prompt_templates = prompt_templates(cfg)
        self.flow_steps = cfg.head.num_inference_timesteps

    def brains(self):
        q = self.qwen_vl_interface
        return q.frozen_vlm.model.model, q.trainable_vlm.model.model

    def _stream(self, vlm: QwenVLModel, images_u8: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """[prefix | vision_start, image, vision_end per camera | text] embeddings; images_u8 holds the
        cameras one after the other, each a batch of b."""
        b = ids.shape[0]
        emb = vlm.language_model.embed_tokens
        feats = vlm.visual(images_u8)
        fixed = emb(self.vision_ids)
        vs, ve = fixed[:, :1], fixed[:, 1:]
        expand = (lambda x: x) if b == 1 else (lambda x: x.expand(b, -1, -1))
        parts = [expand(emb(self.prefix_ids))]
        for i in range(images_u8.shape[0] // b):
            parts += [expand(vs), feats[i * b:(i + 1) * b], expand(ve)]
        parts.append(emb(ids))
        return torch.cat(parts, dim=1)

    def _rope(self, text_len):
        text = self.text_start + torch.arange(text_len)
        pos = torch.cat([self.static_positions, text[None].expand(3, -1)], dim=1)
        t = self.cfg.text
        return mrope_cos_sin(pos, t.head_width, t.rope_theta, t.mrope_section, t.mrope_interleaved)

    def run_brains(self, left, right, cos_l, sin_l, cos_r, sin_r):
        """Both decoder stacks layer by layer up to the selected layer; the right brain's final-normed
        hidden states there. The left brain attends causally to itself; the right brain's queries see
        [K_left | K_right] (AsyMoT, every layer)."""
        t = self.cfg.text
        groups = t.num_attention_heads // t.num_key_value_heads
        frozen, trainable = self.brains()
        n = t.num_hidden_layers
        last = self.cfg.selected_layer if self.cfg.selected_layer >= 0 else n + self.cfg.selected_layer
        last = max(0, min(last, n - 1))
        l_len, r_len = left.shape[1], right.shape[1]
        left_allowed, joint_allowed = causal_mask(l_len), asymot_mask(l_len, r_len, True)
        for i in range(last + 1):
            fl, tl = frozen.language_model.layers[i], trainable.language_model.layers[i]
            hl, hr = fl.input_layernorm(left), tl.input_layernorm(right)
            ql, kl, vl = rotated_qkv(fl.self_attn, hl, t.num_attention_heads, t.num_key_value_heads, cos_l, sin_l)
            qr, kr, vr = rotated_qkv(tl.self_attn, hr, t.num_attention_heads, t.num_key_value_heads, cos_r, sin_r)
            if i < last:  # the left stream past the selected layer cannot reach the readout
                al = masked_softmax_attention(ql, repeat_kv(kl, groups), repeat_kv(vl, groups), left_allowed)
            ar = masked_softmax_attention(qr, repeat_kv(torch.cat([kl, kr], 2), groups),
                                          repeat_kv(torch.cat([vl, vr], 2), groups), joint_allowed)
            right = right + tl.self_attn.o_proj(merge_heads(ar))
            right = right + tl.mlp(tl.post_attention_layernorm(right))
            if i < last:
                left = left + fl.self_attn.o_proj(merge_heads(al))
                left = left + fl.mlp(fl.post_attention_layernorm(left))
        return trainable.language_model.norm(right)

    def readout(self, head, left_wrist, right_wrist, left_ids, right_ids):
        images = torch.cat([head, left_wrist, right_wrist], dim=0)
        frozen, trainable = self.brains()
        left = self._stream(frozen, images, left_ids)
        right = self._stream(trainable, images, right_ids)
        cos_l, sin_l = self._rope(left_ids.shape[1])
        cos_r, sin_r = self._rope(right_ids.shape[1])
        h = self.run_brains(left, right, cos_l, sin_l, cos_r, sin_r)
        # The readout is found by token id, as the authors do it (the rows of a batch share a template).
        where = (right_ids[0] == self.action_token).nonzero()[:, 0] + (right.shape[1] - right_ids.shape[1])
        return h[:, where]

    def encode(self, head, left_wrist, right_wrist, left_ids, right_ids, state):
        """-> readout_kv (B, 2 x cross blocks, queries, width), state_token (B, 1, width)."""
        return self.action_model.precompute(self.readout(head, left_wrist, right_wrist, left_ids, right_ids), state)

    def velocity(self, x_t, t, readout_kv, state_token):
        return self.action_model.velocity(x_t, t, readout_kv, state_token)
