"""The README's table of blending and real-time chunking settings on the demo bag: each row is one
`twinvla eval` of demo/heldout.mcap with models/twinvla-demo at a fixed latency, params/demo.yaml with
the row's changes; prints markdown rows.

    .venv/bin/python -m twinvla_tools.task.blending_table [row names...]
"""
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
base = (ROOT / "params" / "demo.yaml").read_text()
TMP = Path(tempfile.mkdtemp(prefix="twinvla-table-"))
def variant(name, blend='crossfade', rtc='true', guid='hard', rp='0.15', lam='3000.0', profile='minimum_jerk', steps=8, interp='minimum_jerk', guards=True):
    s = base
    if not guards:  # the blending modes as they were: no distance guards either
        s = re.sub(r"      max_tracking_distance: \S+[^\n]*\n      min_arm_distance: \S+[^\n]*\n      arm_distance_band: \S+[^\n]*\n", "", s)
        assert "min_arm_distance" not in s, name
    s = re.sub(r"replan_period: \S+", f"replan_period: {rp}", s)
    s = re.sub(r"      enabled: true\n      guidance: hard\n", f"      enabled: {rtc}\n      guidance: {guid}\n", s)
    s = re.sub(r"    interpolation: \S+[^\n]*\n    smoothing:\n      jerk_weight: \S+[^\n]*\n    blending:\n      mode: \S+[^\n]*\n      crossfade_steps: \d+\n      crossfade_profile: \S+\n",
               f"    interpolation: {interp}\n    smoothing:\n      jerk_weight: {lam}\n    blending:\n      mode: {blend}\n      coefficient: 0.1\n      crossfade_steps: {steps}\n      crossfade_profile: {profile}\n", s)
    assert s.count(f"mode: {blend}") == 2, name
    path = str(TMP / f't-{name}.yaml'); open(path, 'w').write(s); return path
rows = [
  ('latest', dict(blend='latest', rtc='false', guid='hard', rp='0.4', lam='0.0', profile='linear', steps=5, interp='linear', guards=False)),
  ('temporal_ensemble', dict(blend='temporal_ensemble', rtc='false', guid='hard', rp='0.4', lam='0.0', profile='linear', steps=5, interp='linear', guards=False)),
  ('crossfade', dict(blend='crossfade', rtc='false', guid='hard', rp='0.4', lam='0.0', profile='linear', steps=5, interp='linear', guards=False)),
  # params/demo.yaml itself, the same with soft guidance, and with the replan period it had before
  ('rtc_hard', None),
  ('rtc_soft', dict(guid='soft')),
  ('rtc_hard_replan_0.2s', dict(rp='0.2')),
]
only = sys.argv[1:]
for lat in (50, 200):
    for name, kw in rows:
        if only and name not in only: continue
        p = 'params/demo.yaml' if kw is None else variant(name, **kw)
        out = str(TMP / f'tab-{name}-{lat}')
        subprocess.run(['node', 'bin/twinvla.js', 'eval', '--bag', 'demo/heldout.mcap', '--model', 'models/twinvla-demo', '--params', p, '--latency', str(lat), '--out', out], cwd=ROOT, capture_output=True, check=True)
        m = json.load(open(out + '/metrics.json'))
        cells = []
        for arm in ('left', 'right'):
            e = m['arms'][arm]['executed']; mo = e['motion']
            cells.append(f"{e['position_error_mm']['mean']:.2f} / {e['position_error_mm']['p95']:.1f} | {mo['executed']['jerk_rms_m_s3']:.0f} (x{mo['ratio']['jerk_rms']:.1f}) | {mo['executed']['peak_speed_m_s']:.2f} (x{mo['ratio']['peak_speed']:.2f}) | {mo['executed']['max_step_mm']:.0f} | {mo['executed']['quaternion_sign_flips']}")
        print(f"| {lat} ms | {name} | " + " | ".join(cells) + " |", flush=True)
