"""Flow-matching training of a family's reference model on the synthetic task, on CPU, then export
to the model contract with the dataset's statistics.

    python -m twinvla_tools.task.train --family twinvla --bags out/task/train --out models/twinvla-demo

TwinVLA: x_t = t * noise + (1 - t) * action, t uniform, target velocity noise - action, the
condition replaced by the learned null token 10 % of the time (for guidance). TwinBrainVLA: x_t =
(1 - t) * noise + t * action, t from the GR00T-style Beta schedule, target action - noise, the
generalist (left) VLM frozen as the family trains it. Batches are drawn from one prompt length at a time (the graphs take unpadded prompts),
the first EARLY_SECONDS of each episode oversampled.
Deterministic for a seed on one machine and thread count."""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ..checkpoint import load_into, read_state_dict
from ..families import family, image_size, model_tokenizer, prompt_templates
from ..normalization import normalize
from ..tokenizer import build_tokenizer, encode
from ..twinvla_config import arch_from_configs, preset_configs, write_configs
from .dataset import STATE_LAG_STEPS, load_samples, statistics
from .scene import make_scene

CFG_DROPOUT = 0.1
TASK_VOCAB = 768
# Which block to go for is decided while the arms still rest at home; later frames show the answer
# in the arms' own poses. Those first frames are drawn this much more often.
EARLY_SECONDS, EARLY_WEIGHT = 1.5, 2.0


def stats_for(fam, stats: dict) -> dict:
    take = lambda part: {"q01": stats[part]["q01"], "q99": stats[part]["q99"], "mask": stats[part]["mask"]}  # noqa: E731
    return {"state": take("proprio"), "action": take("action")}


class Batches:
    """Samples grouped by their prompts' token lengths; a batch comes from one group."""

    def __init__(self, samples, templates: dict[str, str], tok, rng: np.random.Generator,
                 early_weight: float = EARLY_WEIGHT):
        self.s, self.rng = samples, rng
        self.prompt_ids = [[encode(tok, tpl.replace("{instruction}", ins)) for tpl in templates.values()]
                           for ins in samples.instructions]
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, p in enumerate(samples.prompt):
            groups.setdefault(tuple(len(x) for x in self.prompt_ids[p]), []).append(i)
        self.groups = [np.array(v) for v in groups.values()]
        w = np.where(samples.episode_time < EARLY_SECONDS, early_weight, 1.0)
        self.sample_weights = [w[g] / w[g].sum() for g in self.groups]
        self.weights = np.array([w[g].sum() for g in self.groups]) / w.sum()

    def draw(self, size: int, stats: dict):
        k = self.rng.choice(len(self.groups), p=self.weights)
        g = self.groups[k]
        idx = self.rng.choice(g, size=min(size, len(g)), replace=False, p=self.sample_weights[k])
        lag = self.rng.integers(0, STATE_LAG_STEPS, size=len(idx))
        images = [torch.from_numpy(self.s.images[r][idx]) for r in ("head", "left_wrist", "right_wrist")]
        ids = [torch.tensor([self.prompt_ids[self.s.prompt[i]][k] for i in idx]) for k in range(len(self.prompt_ids[0]))]
        state = torch.from_numpy(normalize(self.s.states[idx, lag], stats["state"]))
        actions = torch.from_numpy(normalize(self.s.actions[idx], stats["action"]))
        return images, ids, state, actions


def _beta(n: int, rng: torch.Generator, a: float = 1.5) -> torch.Tensor:
    """Beta(a, 1) from the seeded generator: the inverse CDF is u^(1/a)."""
    return torch.rand(n, generator=rng) ** (1.0 / a)


def flow_loss(model, fam, batch, rng: torch.Generator) -> torch.Tensor:
    images, ids, state, actions = batch
    b = actions.shape[0]
    cond = model.encode(*images, *ids, state)
    by_name = dict(zip(fam.encoder_outputs, cond))
    inputs = {k: by_name[o] for k, o in fam.conditioning.items()}
    if fam.null_conditioning:
        drop = (torch.rand(b, generator=rng) < CFG_DROPOUT)[:, None, None]
        for k, o in fam.null_conditioning.items():
            inputs[k] = torch.where(drop, by_name[o], inputs[k])
    noise = torch.randn(actions.shape, generator=rng)
    if fam.flow.noise_at == 1.0:
        t = torch.rand(b, generator=rng)
    else:
        # The released TwinBrainVLA action expert (GR00T lineage) draws t = (s - Beta(1.5, 1)) / s,
        # s = 0.999: mostly the noisy end, where its few Euler steps decide the most.
        u = _beta(b, rng)
        t = (0.999 - u) / 0.999
    tt = t[:, None, None]
    if fam.flow.noise_at == 1.0:
        x_t, target = tt * noise + (1 - tt) * actions, noise - actions
    else:
        x_t, target = (1 - tt) * noise + tt * actions, actions - noise
    v = model.velocity(x_t, t, *inputs.values())
    return torch.mean((v - target) ** 2)


def task_tokenizer(family_name: str):
    """TwinVLA's demo: a tokenizer that knows the task's words (each colour one token) and the
    authors' prompt text; TwinBrainVLA's: the built-in test tokenizer."""
    if family_name != "twinvla":
        return build_tokenizer()
    from ..families import TWINVLA_PROMPT
    lines = [make_scene(seed).instruction for seed in range(200)]
    return build_tokenizer(TASK_VOCAB, lines + [TWINVLA_PROMPT.format(instruction=x) for x in lines[:20]])


def train(args) -> Path:
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    fam = family(args.family)
    tok = task_tokenizer(args.family)
    bags = sorted(Path(args.bags).glob("*.mcap"))
    if not bags:
        raise SystemExit(f"{args.bags}: no .mcap bags; write them with python -m twinvla_tools.task.bag")
    t0 = time.perf_counter()
    if args.family == "twinvla":
        # TwinVLA resizes inside its graph, from the cameras' own sizes, as the authors' code does.
        twin, single = preset_configs(args.preset)
        single["llm_config"]["vocab_size"] = tok.get_vocab_size()
        arch = arch_from_configs(twin, single, f"preset {args.preset}")
        samples = load_samples(bags, None, arch.horizon, fam.dt)
        sizes = {r: tuple(samples.images[r].shape[1:3]) for r in samples.images}
        torch.manual_seed(args.seed)
        model = fam.build(arch, tok, sizes)
    else:
        model = fam.build(args.preset, tok)
        samples = load_samples(bags, image_size(model), model.cfg.horizon, fam.dt)
    stats = statistics(samples, fam.state_mask, fam.action_mask)
    print(f"{len(samples.prompt)} samples from {len(bags)} bags in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    norm = stats_for(fam, stats)
    batches = Batches(samples, prompt_templates(fam, model), model_tokenizer(model, tok),
                      np.random.default_rng(args.seed), args.early_weight)
    if args.init:
        report = load_into(model, read_state_dict(args.init))
        if not report.complete:
            raise SystemExit(f"--init {args.init}: {report.summary()}")
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    rng = torch.Generator().manual_seed(args.seed)
    model.train()
    t0, running = time.perf_counter(), None
    out = Path(args.work)
    out.mkdir(parents=True, exist_ok=True)

    def save(steps_done: int) -> None:
        torch.save(model.state_dict(), out / f"{args.family}.pt")
        tok.save(str(out / f"{args.family}_tokenizer.json"))
        if args.family == "twinvla":
            (out / "twinvla_cameras.json").write_text(json.dumps(model.camera_sizes))
            write_configs(out / "twinvla_config", twin, single)
        (out / f"{args.family}_statistics.json").write_text(json.dumps({"synthetic_bimanual": stats}, indent=1))
        (out / f"{args.family}_training.json").write_text(json.dumps({
            "steps": steps_done, "batch": args.batch, "lr": args.lr, "schedule": args.schedule, "seed": args.seed,
            "threads": args.threads, "init": args.init, "early_weight": args.early_weight,
            "samples": int(len(samples.prompt)), "bags": [b.name for b in bags],
            "seconds": round(time.perf_counter() - t0, 1), "final_loss": running}, indent=1))

    for step in range(args.steps):
        warm = min(1.0, (step + 1) / args.warmup)
        if args.schedule == "cosine":
            lr = args.lr * warm * 0.5 * (1 + math.cos(math.pi * step / args.steps))
        else:
            # Independent of the total: the first k steps of a longer run are exactly a run of k steps,
            # so a snapshot saved at step k is what `--steps k` trains.
            lr = args.lr * warm * math.sqrt(args.warmup / max(step + 1, args.warmup))
        for g in opt.param_groups:
            g["lr"] = lr
        loss = flow_loss(model, fam, batches.draw(args.batch, norm), rng)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        running = loss.item() if running is None else 0.98 * running + 0.02 * loss.item()
        if step % 100 == 0 or step == args.steps - 1:
            print(f"step {step} loss {running:.4f} lr {lr:.2e} {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        if args.save_every and (step + 1) % args.save_every == 0 and args.schedule == "rsqrt":
            save(step + 1)
    train_seconds = time.perf_counter() - t0
    save(args.steps)
    print(f"trained {args.family}/{args.preset}: {args.steps} steps in {train_seconds:.0f} s, loss {running:.4f}", file=sys.stderr)
    return out


def export_trained(args) -> None:
    """The model folder gets the graphs and, as checkpoint.safetensors, the weights they came from:
    the Python reference evaluation loads them. The checkpoint is stored in float16 (the folder stays
    under 10 MB) and the graphs are exported from those same rounded weights."""
    from safetensors.torch import save_file

    from ..export import export, parser as export_parser
    work, out = Path(args.work), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    state = torch.load(work / f"{args.family}.pt", weights_only=True)
    half = {k: v.half().contiguous() for k, v in state.items()}
    if args.family == "twinvla":
        # The authors' layout (TwinVLA.save_pretrained): config.json, singlevla_config/config.json,
        # model.safetensors, dataset_statistics.json; beside them the tokenizer and the cameras' sizes.
        ckpt = out / "checkpoint"
        ckpt.mkdir(parents=True, exist_ok=True)
        cfg = json.loads((work / "twinvla_config" / "config.json").read_text())
        single = json.loads((work / "twinvla_config" / "singlevla_config" / "config.json").read_text())
        cfg.pop("singlevla_config", None)
        write_configs(ckpt, cfg, single)
        save_file(half, str(ckpt / "model.safetensors"), metadata={"format": "pt"})
        (ckpt / "dataset_statistics.json").write_text((work / "twinvla_statistics.json").read_text())
        (ckpt / "tokenizer.json").write_text((work / "twinvla_tokenizer.json").read_text())
        (ckpt / "cameras.json").write_text((work / "twinvla_cameras.json").read_text())
    else:
        save_file(half, str(out / "checkpoint.safetensors"))
        stats = out / "dataset_statistics.json"
        stats.write_text((work / f"{args.family}_statistics.json").read_text())
    export(export_parser().parse_args(export_args(args.family, args.preset, args.seed, out, args.name or out.name)))


def export_args(family_name: str, preset: str, seed: int, out: Path, name: str) -> list[str]:
    """The exporter's arguments for a trained folder: its checkpoint and statistics, both inside it."""
    if family_name == "twinvla":
        ckpt = out / "checkpoint"
        cameras = json.loads((ckpt / "cameras.json").read_text())
        return ["--family", family_name, "--seed", str(seed), "--out", str(out), "--name", name,
                "--checkpoint", str(ckpt), "--tokenizer", str(ckpt / "tokenizer.json"),
                *[f"--camera-size={role}={h}x{w}" for role, (h, w) in cameras.items()]]
    return ["--family", family_name, "--preset", preset, "--seed", str(seed), "--out", str(out), "--name", name,
            "--checkpoint", str(out / "checkpoint.safetensors"), "--stats", str(out / "dataset_statistics.json"),
            "--stats-key", "synthetic_bimanual"]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--family", required=True, choices=["twinvla", "twinbrainvla"])
    p.add_argument("--preset", default="demo")
    p.add_argument("--bags", required=True, help="folder of training bags (*.mcap)")
    p.add_argument("--work", default="out/task/checkpoints", help="where the checkpoint and statistics go")
    p.add_argument("--out", help="model folder to export to (none: no export)")
    p.add_argument("--name", help="model name in the manifest (default: the folder's name)")
    p.add_argument("--export-only", action="store_true", help="export the checkpoint in --work without training")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch", type=int, default=48)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--warmup", type=int, default=200, help="steps of linear learning-rate warm-up")
    p.add_argument("--schedule", choices=["cosine", "rsqrt"], default="cosine",
                   help="learning rate after warm-up: cosine to 0 over --steps, or lr * sqrt(warmup / step), "
                        "which does not depend on --steps (snapshots are then runs of their own length)")
    p.add_argument("--save-every", type=int, default=0, help="with --schedule rsqrt: save the checkpoint every N steps")
    p.add_argument("--early-weight", type=float, default=EARLY_WEIGHT,
                   help=f"how much more often frames of the first {EARLY_SECONDS} s of an episode are drawn")
    p.add_argument("--init", help="start from this checkpoint (a second stage) instead of the seed's initialisation")
    return p


if __name__ == "__main__":
    a = parser().parse_args()
    if not a.export_only:
        train(a)
    if a.out:
        export_trained(a)
