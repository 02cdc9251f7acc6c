"""A small byte-level BPE tokenizer for the test models.

Published checkpoints ship their own tokenizer.json (Qwen2's); the exporter copies it. The tiny and
small presets cannot download one, so this builds a Qwen-like byte-level BPE from a fixed corpus,
with the special tokens both families place in their sequences."""
from __future__ import annotations

from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers

SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>",
    "<img>", "</img>", "<|state|>", "<|readout|>",  # TwinVLA (Eagle2 image wrappers, state, readout)
    "<|vision_start|>", "<|vision_end|>", "<|action|>",  # TwinBrainVLA (Qwen2.5-VL wrappers, queries)
]

_VERBS = ["pick up", "put", "hand over", "fold", "open", "close", "lift", "place", "push", "pour", "stack",
          "insert", "grasp", "move", "rotate", "wipe", "transfer", "take"]
_OBJECTS = ["the red block", "the blue cup", "the box", "the towel", "the drawer", "the lid", "the bottle",
            "the green bowl", "the marker", "the plate", "the sponge", "the peg", "the shirt", "the bag"]
_PLACES = ["into the bin", "onto the tray", "to the other arm", "on the table", "in the basket",
           "next to the plate", "with both arms", "from left to right"]
_FRAMES = ["You are a bimanual robot policy.", "What action should the robot take to", "Instruction:",
           "Action Query:", "Arm State:", "Action:", "system", "user", "assistant"]


def corpus() -> list[str]:
    lines = list(_FRAMES)
    for v in _VERBS:
        for o in _OBJECTS:
            for p in _PLACES:
                lines.append(f"{v} {o} {p}")
    return lines


def build_tokenizer(vocab_size: int = 512, extra: list[str] | None = None) -> Tokenizer:
    """extra: more corpus lines (a task's own instructions and prompt text, so that its words,
    colours among them, become whole tokens)."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(corpus() + list(extra or []), trainer=trainer)
    return tok


def token_id(tok: Tokenizer, token: str) -> int:
    i = tok.token_to_id(token)
    if i is None:
        raise ValueError(f"tokenizer has no token {token!r}; a checkpoint's tokenizer must define it")
    return i


def encode(tok: Tokenizer, text: str) -> list[int]:
    return tok.encode(text, add_special_tokens=False).ids
