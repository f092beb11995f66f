"""What a run folder says to the user about itself: how a refused config differs from the one the
folder holds (run.json), and refusals appended to its run.log."""
from __future__ import annotations

import os
import time
from pathlib import Path


def run_differences(before: dict, now: dict) -> str:
    """What differs between two run.json records, in words: the stages, their options, the inputs."""
    said = []
    old_stages, new_stages = before.get("config", {}).get("stages", []), now["config"]["stages"]
    old_names = [next(iter(s)) for s in old_stages]
    new_names = [next(iter(s)) for s in new_stages]
    if old_names != new_names:
        said.append(f"stages were {', '.join(old_names) or 'none'}, now {', '.join(new_names) or 'none'}")
    else:
        for name, old, new in zip(new_names, old_stages, new_stages):
            old, new = old[name] or {}, new[name] or {}
            changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            said += [f"stage '{name}' option '{k}' was {old.get(k, '(default)')!r}, now {new.get(k, '(default)')!r}" for k in changed]
    old_inputs, new_inputs = before.get("inputs", []), now["inputs"]
    if old_inputs != new_inputs:
        gone, added = sorted(set(old_inputs) - set(new_inputs)), sorted(set(new_inputs) - set(old_inputs))
        parts = [f"{len(old_inputs)} input file(s) before, {len(new_inputs)} now"]
        if gone:
            parts.append(f"no longer: {gone[0]}" + (f" and {len(gone) - 1} more" if len(gone) > 1 else ""))
        if added:
            parts.append(f"new: {added[0]}" + (f" and {len(added) - 1} more" if len(added) > 1 else ""))
        said.append("; ".join(parts))
    if before.get("config", {}).get("excluded") != now["config"].get("excluded"):
        said.append(f"'excluded' was {before.get('config', {}).get('excluded')}, now {now['config'].get('excluded')}")
    return "; ".join(said) or "the fingerprint differs"


def log_refusal(output: str | os.PathLike | None, message: str) -> None:
    """Append a refused run's message to OUTPUT/logs/run.log when OUTPUT already is a run folder (a
    re-run's log then says why it stopped); a new or foreign folder is left as it is."""
    if not output or not (Path(output) / "run.json").is_file():
        return
    (Path(output) / "logs").mkdir(exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with open(Path(output) / "logs" / "run.log", "a", encoding="utf-8") as handle:
        handle.write(f"{stamp} ERROR refused (exit 2): {message}\n")
