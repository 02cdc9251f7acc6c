"""Export a reference model to the twinvla model contract: models/<name>/ with model.yaml,
encoder.onnx, denoiser.onnx, tokenizer.json and fixtures/fixture.json.

    python -m twinvla_tools.export --family twinvla --preset tiny --seed 0 --out models/twinvla-tiny
"""
from __future__ import annotations

import argparse
import contextlib
from dataclasses import replace
import json
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
import yaml
from tokenizers import Tokenizer

from . import EXPORTER_VERSION
from .checkpoint import load_into, match, open_mapped, read_state_dict
from .held_dtypes import held_bfloat16, round_state_dict, round_tensor
from .external_data import gather, graph_entry, sha256
from .families import (CAMERAS, IMAGE_INPUTS, DenoiserGraph, EncoderGraph, camera_size, checkpoint_aliases, family,
                       flow_settings, model_tokenizer, prompt_templates)
from .fixtures import make_fixture
from .statistics import read_statistics
from .session_config import STREAMED as STREAMED_SESSION
from .streamed import SeededWeights, parameters_on_meta
from .twinvla_config import read_arch
from .tokenizer import build_tokenizer, encode

OPSET = 18
PARITY_TOLERANCE = 1e-4


def default_stats(fam) -> dict:
    """Plausible workspace statistics for models without a dataset (tests, benchmarks)."""
    def arm(y_sign: float) -> tuple[list[float], list[float]]:
        lo = [0.10, 0.05 if y_sign > 0 else -0.45, 0.02] + [-1.0] * 6 + [0.0]
        hi = [0.55, 0.45 if y_sign > 0 else -0.05, 0.40] + [1.0] * 6 + [1.0]
        return lo, hi

    def both(mask, eps):
        (l_lo, l_hi), (r_lo, r_hi) = arm(1), arm(-1)
        return {"method": "quantile", "q01": l_lo + r_lo, "q99": l_hi + r_hi, "mask": mask + mask, "eps": eps}

    action = {**both(fam.action_mask, fam.action_eps), "clip": fam.clip_actions, "round": fam.action_round * 2}
    return {"state": both(fam.state_mask, fam.state_eps), "action": {**action, **binarized(fam, 2)}}


def binarized(fam, arms: int) -> dict:
    """The family's gripper threshold (starVLA: after the clip, below 0.5 -> 0, else 1), per arm."""
    return {"binarize": fam.action_binarize * arms} if fam.action_binarize else {}


def stats_from_file(path: str, key: str | None, fam, method: str = "quantile") -> dict:
    """dataset_statistics.json in either authors' layout ({action, proprio} or {action, state})."""
    stats = read_statistics(path, key, state_dim=2 * len(fam.state_mask), action_dim=2 * len(fam.action_mask),
                           state_mask=fam.state_mask, action_mask=fam.action_mask, method=method,
                           clip=fam.clip_actions, state_eps=fam.state_eps, action_eps=fam.action_eps,
                           round_dims=fam.action_round)
    stats["action"].update(binarized(fam, len(stats["action"]["q01"]) // len(fam.action_mask)))
    return stats


class ManifestDumper(yaml.SafeDumper):
    """Numeric lists on one line, strings with newlines double-quoted, no anchors."""

    def ignore_aliases(self, data):
        return True


def _seq(dumper, data):
    flow = all(isinstance(x, (int, float, bool)) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


def _str(dumper, data):
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"' if "\n" in data else None)


ManifestDumper.add_representer(list, _seq)
ManifestDumper.add_representer(str, _str)


def _relative_checkpoint(checkpoint: str | None, out: Path) -> str | None:
    """A checkpoint shipped inside the model folder is named relative to it (the folder can move)."""
    if not checkpoint:
        return None
    path = Path(checkpoint).resolve()
    return str(path.relative_to(out.resolve())) if path.is_relative_to(out.resolve()) else checkpoint


def fixture_ids(fixture: dict) -> dict[str, list[int]]:
    return {k: v["data"] for k, v in fixture["expected"]["input_ids"].items()}


def export_graphs(model, fam, out: Path, ids: dict[str, list[int]], state_dim: int) -> None:
    enc = EncoderGraph(model).eval()
    den = DenoiserGraph(model).eval()
    prompts = prompt_templates(fam, model)
    enc_args = trace_inputs(model, prompts, ids, state_dim)
    enc_inputs = [*IMAGE_INPUTS, *prompts, "state"]
    for name in ("encoder.onnx", "denoiser.onnx"):
        (out / f"{name}.data").unlink(missing_ok=True)  # a graph now inline must not leave an old one beside it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(enc, enc_args, str(out / "encoder.onnx"), input_names=enc_inputs,
                          output_names=list(fam.encoder_outputs), opset_version=OPSET, dynamo=False,
                          dynamic_axes={k: {1: f"{k}_length"} for k in prompts})
        cond = model.encode(*enc_args)
        by_name = dict(zip(fam.encoder_outputs, cond))
        cond_in = [by_name[o] for o in fam.conditioning.values()]
        x = torch.zeros((1, model.cfg.horizon, 2 * model.cfg.arm_dim))
        den_inputs = ["x_t", "t", *fam.conditioning]
        torch.onnx.export(den, (x, torch.tensor([0.5]), *cond_in), str(out / "denoiser.onnx"),
                          input_names=den_inputs, output_names=["velocity"], opset_version=OPSET, dynamo=False,
                          dynamic_axes={k: {0: "batch"} for k in [*den_inputs, "velocity"]})
    for name in ("encoder.onnx", "denoiser.onnx"):
        # Past 2 GB torch writes one external-data file per tensor: gathered into <graph>.onnx.data.
        gather(out / name)
        onnx.checker.check_model(str(out / name))


def trace_inputs(model, prompts: dict[str, str], ids: dict[str, list[int]], state_dim: int) -> tuple:
    """Example encoder inputs: black cameras at the model's sizes, the prompt ids, a zero state."""
    imgs = [torch.zeros((1, *camera_size(model, role), 3), dtype=torch.uint8) for role in CAMERAS]
    return (*imgs, *[torch.tensor([ids[k]]) for k in prompts], torch.zeros((1, state_dim)))


def export_streamed_graphs(model, fam, out: Path, tok, weights, stored: str, compute: str) -> dict:
    """The graphs traced over untouched storage, then their weights written one tensor at a time
    (streamed.py): for models whose weights do not fit in memory. Returns what was written per graph."""
    from .fixtures import INSTRUCTION, fixture_state
    from .streamed import attach_weights, to_fp16_compute, trace, untouched_parameters
    untouched_parameters(model)
    prompts = prompt_templates(fam, model)
    ids = {k: encode(model_tokenizer(model, tok), v.replace("{instruction}", INSTRUCTION)) for k, v in prompts.items()}
    enc_args = trace_inputs(model, prompts, ids, len(fixture_state()))
    seen = {}
    enc = EncoderGraph(model).eval()
    # The traced run's outputs (from the placeholder weights) are the denoiser's example conditioning.
    handle = enc.register_forward_hook(lambda m, i, o: seen.setdefault("cond", [t.detach() for t in o]))
    trace(enc, enc_args, out / "encoder.onnx", input_names=[*IMAGE_INPUTS, *prompts, "state"],
          output_names=list(fam.encoder_outputs), opset_version=OPSET, dynamic_axes={k: {1: f"{k}_length"} for k in prompts})
    handle.remove()
    by_name = dict(zip(fam.encoder_outputs, seen["cond"]))
    x = torch.zeros((1, model.cfg.horizon, 2 * model.cfg.arm_dim))
    den_inputs = ["x_t", "t", *fam.conditioning]
    trace(DenoiserGraph(model).eval(), (x, torch.tensor([0.5]), *[by_name[o] for o in fam.conditioning.values()]),
          out / "denoiser.onnx", input_names=den_inputs, output_names=["velocity"], opset_version=OPSET,
          dynamic_axes={k: {0: "batch"} for k in [*den_inputs, "velocity"]})
    written = {}
    for name in ("encoder.onnx", "denoiser.onnx"):
        if compute == "fp16":
            to_fp16_compute(out / name)
        written[name] = attach_weights(out / name, weights, "fp16" if compute == "fp16" else stored)
    return written


def image_normalization(model, fam) -> dict:
    """The processor's mean and std, applied inside the encoder graph: the family's, or where the base
    VLM's preprocessor sets them (TwinBrainVLA: CLIP's for Qwen2.5-VL, 0.5 for Qwen3-VL), the model's."""
    vision = getattr(model.cfg, "vision", None)
    mean = getattr(vision, "image_mean", None) or fam.image_mean
    std = getattr(vision, "image_std", None) or fam.image_std
    return {"mean": list(mean), "std": list(std), "in_graph": True}


def manifest(model, fam, name: str, args, stats: dict, tok_file: str, out: Path, flow, dt: float,
             session_config: dict | None = None) -> dict:
    cfg = model.cfg
    prompts = prompt_templates(fam, model)
    layout = {"position": 3, "rotation": "rot6d", "gripper": 1}
    return {
        "format": "twinvla-model/1",
        "name": name,
        "family": fam.name,
        "cameras": [{"role": role, "input": inp, "height": camera_size(model, role)[0], "width": camera_size(model, role)[1],
                     "resize": fam.resize, "letterbox": False, "encoding": "rgb8"}
                    for role, inp in zip(CAMERAS, IMAGE_INPUTS)],
        "image_normalization": image_normalization(model, fam),
        "prompt": {"tokenizer": tok_file, "max_tokens": 512,
                   "inputs": [{"name": k, "template": v} for k, v in prompts.items()]},
        "state": {"input": "state", "arms": ["left", "right"], "layout": layout,
                  "normalization": stats["state"]},
        "action": {"arms": ["left", "right"], "layout": layout, "horizon": cfg.horizon, "dt": dt,
                   "normalization": stats["action"]},
        "flow": {
            "noise_time": flow.noise_at,
            "steps": flow.steps,
            "guidance": None if flow.guidance_scale is None else {
                "scale": flow.guidance_scale, "clamp": flow.guidance_clamp,
                "clamp_target": flow.clamp_target, "applies_above": flow.guidance_applies_above,
                "null_conditioning": dict(fam.null_conditioning or {})},
        },
        "graphs": {
            "encoder": {**graph_entry(out, "encoder.onnx"),
                        "inputs": [*IMAGE_INPUTS, *prompts, "state"], "outputs": list(fam.encoder_outputs)},
            "denoiser": {**graph_entry(out, "denoiser.onnx"),
                         "inputs": {"x_t": "x_t", "t": "t"}, "conditioning": dict(fam.conditioning),
                         "output": "velocity"},
        },
        **({"runtime": {"session_config": session_config}} if session_config else {}),
        "provenance": {
            "source_checkpoint": _relative_checkpoint(args.checkpoint, out),
            "preset": args.preset if isinstance(model_source(args), str) else None,
            "seed": args.seed,
            "statistics": None if not args.stats else {"file": Path(args.stats).name, "dataset": stats.get("dataset")},
            "exporter_version": EXPORTER_VERSION,
            "torch": torch.__version__.split("+")[0],
            "opset": OPSET,
            "tokenizer_sha256": sha256(out / tok_file),
        },
    }


def verify_with_onnxruntime(out: Path, fam, fixture: dict) -> float:
    """The exported graphs, run by onnxruntime, against the PyTorch fixture; returns the max error."""
    import onnxruntime as ort
    from .fixtures import VELOCITY_T

    def arr(d):
        if "base64" in d:
            import base64
            return np.frombuffer(base64.b64decode(d["base64"]), np.uint8).reshape(d["shape"])
        return np.asarray(d["data"], dtype=np.float32 if d["dtype"] == "float32" else np.int64).reshape(d["shape"])

    exp = fixture["expected"]
    enc = ort.InferenceSession(str(out / "encoder.onnx"), providers=["CPUExecutionProvider"])
    feed = {k: arr(v) for k, v in fixture["inputs"]["images"].items()}
    feed.update({k: arr(v)[None] for k, v in exp["input_ids"].items()})
    feed["state"] = arr(exp["state_normalized"])[None]
    got = dict(zip(fam.encoder_outputs, enc.run(list(fam.encoder_outputs), feed)))
    err = max(float(np.abs(got[k] - arr(v)).max()) for k, v in exp["conditioning"].items())
    den = ort.InferenceSession(str(out / "denoiser.onnx"), providers=["CPUExecutionProvider"])
    dfeed = {"x_t": arr(fixture["inputs"]["x_t"]), "t": np.array([VELOCITY_T], np.float32)}
    dfeed.update({k: got[o] for k, o in fam.conditioning.items()})
    v = den.run(["velocity"], dfeed)[0]
    return max(err, float(np.abs(v - arr(exp["velocity"])).max()))


def read_tokenizer(path: str) -> Tokenizer:
    """A tokenizer.json, or a folder holding one (AutoTokenizer.save_pretrained writes it)."""
    p = Path(path)
    if p.is_dir():
        p = p / "tokenizer.json"
    if not p.exists():
        raise SystemExit(f"--tokenizer {path}: no tokenizer.json; save the checkpoint's tokenizer with "
                         "transformers.AutoTokenizer.from_pretrained(<base model>).save_pretrained(<folder>)")
    return Tokenizer.from_file(str(p))


def model_source(args):
    """A checkpoint folder with the authors' config files sizes the model; otherwise the preset."""
    if args.checkpoint and Path(args.checkpoint).is_dir() and (Path(args.checkpoint) / "config.json").exists():
        if args.family != "twinvla":
            return args.preset
        return read_arch(args.checkpoint)
    return args.preset


def default_stats_file(checkpoint: str | None) -> str | None:
    """The authors keep dataset_statistics.json inside the checkpoint folder (twinvla.py:23)."""
    if checkpoint and Path(checkpoint).is_dir() and (Path(checkpoint) / "dataset_statistics.json").exists():
        return str(Path(checkpoint) / "dataset_statistics.json")
    return None


def camera_sizes(specs: list[str] | None) -> dict[str, tuple[int, int]] | None:
    """--camera-size HxW (all cameras) or ROLE=HxW, repeated."""
    if not specs:
        return None
    out: dict[str, tuple[int, int]] = {}
    for spec in specs:
        role, _, size = spec.rpartition("=")
        try:
            h, w = (int(x) for x in size.lower().split("x"))
        except ValueError:
            raise SystemExit(f"--camera-size {spec!r}: expected HxW or ROLE=HxW, for example 480x640 or head=480x640")
        for r in ([role] if role else list(CAMERAS)):
            if r not in CAMERAS:
                raise SystemExit(f"--camera-size {spec!r}: unknown camera role {r!r}; expected one of {list(CAMERAS)}")
            out[r] = (h, w)
    return out


def export(args) -> Path:
    fam = family(args.family)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "fixtures").mkdir(exist_ok=True)
    arch, checkpoint, stats_file = args.preset, args.checkpoint, args.stats
    vlm_config = None  # the base VLM's config.json, for a starVLA run folder
    tokenizer_file = args.tokenizer
    if getattr(args, "run", None):
        from .twinbrainvla_config import latest_checkpoint, read_run_folder
        if args.family != "twinbrainvla":
            raise SystemExit("--run reads a starVLA run folder (TwinBrainVLA); use --family twinbrainvla")
        arch, _, vlm_dir = read_run_folder(Path(args.run), args.base_vlm)
        vlm_config = json.loads((vlm_dir / "config.json").read_text())
        if not getattr(args, "random_weights", False):
            checkpoint = checkpoint or str(latest_checkpoint(Path(args.run)))
        stats_file = stats_file or str(Path(args.run) / "dataset_statistics.json")
        tokenizer_file = tokenizer_file or str(vlm_dir / "tokenizer.json")
        args.preset = "run"
    else:
        # A TwinVLA checkpoint folder (config.json + singlevla_config/) sizes the model itself.
        arch = model_source(args)
    tok = read_tokenizer(tokenizer_file) if tokenizer_file else build_tokenizer()
    # Callers that build the arguments themselves (tests, the variant writer) may leave these out.
    sizes = camera_sizes(getattr(args, "camera_size", None))
    if sizes and args.family != "twinvla":
        raise SystemExit(f"--camera-size: {args.family} takes square images of its vision tower's size; "
                         "only TwinVLA resizes inside its graph")
    stored = getattr(args, "stream_weights", None)
    random_weights = getattr(args, "random_weights", False)
    if stored and getattr(args, "variant", None):
        raise SystemExit("--variant rewrites graphs held in memory; with --stream-weights, write the fp16 GPU "
                         "variant with --stream-compute fp16 (into its own --out)")
    if random_weights and (not stored or checkpoint):
        raise SystemExit("--random-weights draws each weight from --seed as it is written: it goes with "
                         "--stream-weights and without --checkpoint")
    torch.manual_seed(args.seed)
    with parameters_on_meta() if stored else contextlib.nullcontext():
        model = (fam.build(arch, tok, sizes) if sizes else fam.build(arch, tok)).eval()
    model_tokenizer(model, tok).save(str(out / "tokenizer.json"))
    args.checkpoint = checkpoint
    what = f"{args.family}/{args.preset}" if isinstance(arch, str) else f"{args.family} from {checkpoint or args.run}"
    weights = SeededWeights(model, args.seed) if random_weights else None
    # float32 tensors go into the modules the authors' code holds in bfloat16 rounded, as theirs do
    # (held_dtypes.py); --keep-float32 loads them unrounded.
    bf16 = (lambda name: False) if getattr(args, "keep_float32", False) else held_bfloat16(args.family, vlm_config)
    if checkpoint and stored:
        report, matched = match(model.state_dict(), open_mapped(checkpoint), args.strip_prefix,
                                aliases=checkpoint_aliases(model))
        weights = checkpoint_weights(matched, checkpoint, bf16)
        rounded = sum(1 for k, t in matched.items() if t.dtype == torch.float32 and bf16(k))
    elif checkpoint:
        state_dict, rounded = round_state_dict(read_state_dict(checkpoint), bf16, args.strip_prefix)
        report = load_into(model, state_dict, args.strip_prefix, aliases=checkpoint_aliases(model))
    if checkpoint:
        print(report.summary(), file=sys.stderr)
        if rounded:
            print(f"  {rounded} float32 tensors rounded to bfloat16, as the authors' {args.family} code holds those "
                  "modules (held_dtypes.py; --keep-float32 keeps them)", file=sys.stderr)
        if not report.complete and not args.allow_partial:
            raise SystemExit(f"checkpoint {checkpoint} does not match the {what} architecture (see above); "
                             "pass --allow-partial to export anyway")
    stats_file = stats_file or default_stats_file(checkpoint)
    method = getattr(getattr(model, "arch", None), "normalization", "quantile")
    stats = stats_from_file(stats_file, args.stats_key, fam, method) if stats_file else default_stats(fam)
    base_flow = flow_settings(fam, model)
    guidance_scale, dt_arg = getattr(args, "guidance_scale", None), getattr(args, "dt", None)
    if guidance_scale is not None and base_flow.guidance_scale is None:
        raise SystemExit(f"--guidance-scale: this {fam.name} model samples without guidance (no null condition)")
    flow = base_flow if guidance_scale is None else replace(base_flow, guidance_scale=guidance_scale)
    dt = fam.dt if dt_arg is None else dt_arg
    head_cfg = getattr(getattr(model, "cfg", None), "head", None)
    if head_cfg is not None and hasattr(head_cfg, "num_timestep_buckets"):
        from .gr00t_head import buckets_that_differ
        off = buckets_that_differ(flow.steps, head_cfg.num_timestep_buckets)
        if off:
            print(f"warning: {flow.steps} steps with num_timestep_buckets {head_cfg.num_timestep_buckets}: at step(s) "
                  f"{off} the graph's float32 floor(t * buckets) is one bucket away from the authors' float64 "
                  "int(i / steps * buckets), so the chunk differs slightly from their predict_action (measured: "
                  "3.3e-4 at 300 buckets, 15 steps); released checkpoints use 1000 buckets, which agree",
                  file=sys.stderr)
    if not dt > 0:
        raise SystemExit(f"--dt {dt_arg}: expected seconds between chunk steps > 0 (1 / the dataset's control rate)")
    if stored:
        if weights is None:
            raise SystemExit("--stream-weights writes the weights of a checkpoint (--checkpoint or --run) or, "
                             "with --random-weights, weights drawn from --seed")
        (out / "fixtures" / "fixture.json").unlink(missing_ok=True)  # an earlier export's would not match
        compute = getattr(args, "stream_compute", "fp32")
        written = export_streamed_graphs(model, fam, out, tok, weights, stored, compute)
        write_manifest(model, fam, args, stats, out, flow, dt, STREAMED_SESSION)
        print(f"exported {out} ({what}), weights streamed: " + ", ".join(
            f"{k} {v['tensors']} tensors, {v['bytes']} bytes of external data" for k, v in written.items())
            + f"; stored {'fp16' if compute == 'fp16' else stored}, computed {compute}. "
            "No fixture: the PyTorch reference needs the weights in memory (the streamed graphs are checked "
            "against the in-memory export at test sizes)")
        return out
    inputs_file = getattr(args, "fixture_inputs", None)
    given = dict(np.load(inputs_file)) if inputs_file else None
    fixture = make_fixture(model, fam, tok, stats, args.seed, flow, given)
    export_graphs(model, fam, out, fixture_ids(fixture), len(fixture["expected"]["state_normalized"]["data"]))
    (out / "fixtures" / "fixture.json").write_text(json.dumps(fixture, separators=(",", ":")) + "\n")
    write_manifest(model, fam, args, stats, out, flow, dt)
    err = verify_with_onnxruntime(out, fam, fixture)
    print(f"exported {out} ({what}); onnxruntime vs PyTorch max abs error {err:.3g}")
    if err > PARITY_TOLERANCE:
        raise SystemExit(f"exported graphs differ from PyTorch by {err} > {PARITY_TOLERANCE}")
    # Real-time chunking's soft-guidance graph, in a fresh process: the trace is then byte-for-byte reproducible.
    # A run folder's own sizes are not a preset vjp_graph can rebuild: such a model pins the prefix only.
    if getattr(args, "run", None):
        print(f"{out}: no denoiser_vjp.onnx for a run-folder export; real-time chunking pins the prefix only")
    else:
        subprocess.run([sys.executable, "-m", "twinvla_tools.vjp_graph", "--model", str(out.resolve())], check=True,
                       cwd=Path(__file__).resolve().parents[1])
    for kind in getattr(args, "variant", None) or []:
        export_variant(out, kind)
    return out


def checkpoint_weights(matched: dict, checkpoint: str, bf16=lambda name: False):
    """A streamed export's weights by name, each rounded as the authors hold it (held_dtypes) when it is
    read; one the checkpoint lacks (--allow-partial) has no values to write."""
    def weight(key: str):
        if key not in matched:
            raise SystemExit(f"checkpoint {checkpoint} has no {key}: --stream-weights writes only the checkpoint's "
                             "tensors (the in-memory export fills missing ones from --seed)")
        return round_tensor(key, matched[key], bf16)
    return weight


def write_manifest(model, fam, args, stats: dict, out: Path, flow, dt: float, session_config: dict | None = None) -> None:
    doc = manifest(model, fam, args.name or out.name, args, stats, "tokenizer.json", out, flow, dt, session_config)
    (out / "model.yaml").write_text(
        "# twinvla model manifest: written by tools/twinvla_tools/export.py, read by src/model/manifest.ts\n"
        + yaml.dump(doc, Dumper=ManifestDumper, sort_keys=False, width=120))


def export_variant(out: Path, kind: str) -> Path:
    """The optimised (cpu, gpu) or quantised (fp16, int8) variant of an export, beside it: <out>-<kind>."""
    from .optimize import TARGETS, optimize
    from .quantize import quantize

    dst = out.parent / f"{out.name}-{kind}"
    if kind in TARGETS:
        optimize(out, dst, kind)
    else:
        quantize(out, dst, kind)
    return dst


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", required=True, choices=["twinvla", "twinbrainvla"])
    p.add_argument("--preset", default="tiny", choices=["tiny", "demo", "small", "published"])
    p.add_argument("--out", required=True, help="model folder to write")
    p.add_argument("--name", help="model name in the manifest (default: the folder's name)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random initialisation and the fixture")
    p.add_argument("--checkpoint", help="safetensors / .pt / folder to load into the reference model")
    p.add_argument("--run", help="a starVLA run folder (TwinBrainVLA): config.yaml, dataset_statistics.json, "
                                 "checkpoints/; sizes, checkpoint, statistics and tokenizer come from it")
    p.add_argument("--base-vlm", help="with --run: the Qwen2.5-VL folder (config.json, tokenizer.json) when "
                                      "config.yaml's framework.qwenvl.base_vlm does not point at it here")
    p.add_argument("--strip-prefix", default="", help="prefix to remove from checkpoint names")
    p.add_argument("--allow-partial", action="store_true", help="export even when names do not all match")
    p.add_argument("--keep-float32", action="store_true",
                   help="load float32 checkpoint tensors as they are; by default those the authors' code holds in "
                        "bfloat16 (TwinVLA: all but the DiT head; TwinBrainVLA: brains loaded in bfloat16) are "
                        "rounded to bfloat16 as their loaders do (held_dtypes.py)")
    p.add_argument("--tokenizer", help="tokenizer.json to ship (default: the built-in test tokenizer)")
    p.add_argument("--stats", help="dataset_statistics.json")
    p.add_argument("--stats-key", help="dataset key inside --stats (default: its only dataset)")
    p.add_argument("--variant", action="append", choices=["cpu", "gpu", "fp16", "int8"],
                   help="also write <out>-<variant>: fused graphs for cpu or gpu (optimize.py), or quantised "
                        "fp16 / int8 graphs (quantize.py); repeatable")
    p.add_argument("--guidance-scale", type=float,
                   help="classifier-free guidance scale (default: the family's; TwinVLA's Tabletop-Sim runs use 1.1)")
    p.add_argument("--camera-size", action="append", metavar="[ROLE=]HxW",
                   help="the size the cameras deliver (default: the model's image size); the graph resizes "
                        "from it as the family's preprocessing does. Repeat per role: head=480x640")
    p.add_argument("--fixture-inputs", metavar="NPZ",
                   help="inputs for the fixture instead of generated ones (image_head, image_left_wrist, "
                        "image_right_wrist, state, instruction, noise): to compare `twinvla predict` with another run")
    p.add_argument("--stream-weights", choices=["fp32", "bf16", "fp16"],
                   help="export without the weights in memory (models larger than the machine): the graphs are "
                        "traced over untouched storage and each weight is written into <graph>.onnx.data as it is "
                        "read, stored in this dtype and computed in fp32 (bf16 / fp16: widened by a Cast where "
                        "read). No fixture is written; the manifest tells ONNX Runtime to load such graphs without "
                        "constant folding (runtime.session_config: session_config.STREAMED)")
    p.add_argument("--stream-compute", choices=["fp32", "fp16"], default="fp32",
                   help="with --stream-weights: fp16 writes the GPU variant instead (weights and arithmetic in fp16)")
    p.add_argument("--random-weights", action="store_true",
                   help="with --stream-weights and no checkpoint: each weight drawn from --seed as it is written "
                        "(streamed.SeededWeights), for exports at sizes no checkpoint here has")
    p.add_argument("--dt", type=float, help="seconds between chunk steps: 1 / the checkpoint's data rate "
                   "(TwinVLA: Tabletop-Sim and Anubis 20 Hz -> 0.05, RoboTwin 15 Hz -> 0.0667)")
    return p


if __name__ == "__main__":
    export(parser().parse_args())
