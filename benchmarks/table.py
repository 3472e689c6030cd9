"""The plain-text summary of the benchmark's JSON sections."""

from __future__ import annotations


def _fmt(value, digits: int = 3) -> str:
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def _table(headers: list[str], rows: list[list]) -> list[str]:
    cells = [headers] + [[_fmt(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    return [lines[0], "  ".join("-" * w for w in widths), *lines[1:]]


def render(results: dict) -> str:
    lines = []
    env = results.get("environment", {})
    lines.append(f"threads {env.get('threads')}  load average {env.get('load_average')}  torch {env.get('torch')}")
    if "training" in results:
        lines += ["", "training: seconds per generator iteration (n_dis critic steps + 1 G step), median",
                  *_table(["arch", "preset", "n_dis", "batch", "suite s/it", "bare s/it", "suite img/s", "suite/bare"],
                          [[r["arch"], r["preset"], r["n_dis"], r["batch_size"], r["suite_seconds_per_iteration"],
                            r["bare_seconds_per_iteration"], r["suite_images_per_second"],
                            r["ratio_suite_to_bare"]] for r in results["training"]["rows"]]),
                  f"target: {results['training']['target']}",
                  *[f"not applicable: {r['arch']}/{r['preset']}: {r['reason']}"
                    for r in results["training"]["not_applicable"]]]
    if "parts" in results:
        p = results["parts"]
        lines += ["", f"stabilization parts: {p['preset']} on {p['arch']} {p['arch_spec']}, n_dis {p['n_dis']}",
                  *_table(["part", "constraint", "d_norm", "s/it", "vs none"],
                          [[r["part"], r["constraint"], r["d_norm"], r["seconds_per_iteration"],
                            r["relative_to_none"]] for r in p["rows"]])]
    if "formats" in results:
        f = results["formats"]
        lines += ["", "training step formats: seconds per generator iteration relative to fp32 (median)",
                  *_table(["arch", "preset", "fp32 s/it", *[f"{n}" for n in f["formats"][1:]]],
                          [[r["arch"], r["preset"], r["fp32_seconds_per_iteration"],
                            *[r[f"{n}_vs_fp32"] for n in f["formats"][1:]]] for r in f["rows"]]),
                  "", "training images/s by batch size (fp32)",
                  *_table(["arch", "preset", "batch", "s/it", "img/s"],
                          [[r["arch"], r["preset"], r["batch_size"], r["seconds_per_iteration"],
                            r["images_per_second"]] for r in f["batch_rows"]])]
    if "inception" in results:
        i = results["inception"]
        names = ["suite_channels_last", "suite_contiguous", "bare_module", "bare_torchscript"]
        lines += ["", f"Inception pool3 fp32, n {i['n']}, batch {i['batch_size']} (target: {i['target']})",
                  *_table(["contender", "img/s"], [[n, i[f"{n}_images_per_second"]] for n in names]),
                  f"bare module / suite {_fmt(i['ratio_bare_module_to_suite'])}   "
                  f"bare torchscript / suite {_fmt(i['ratio_bare_torchscript_to_suite'])}   "
                  f"channels_last speed-up {_fmt(i['channels_last_speedup'])}"]
    if "domain" in results:
        d = results["domain"]
        lines += ["", f"domain metrics: {_fmt(d['domain_images_per_second'])} img/s (n {d['n']}, batch {d['batch_size']})"]
    if "studies" in results:
        s = results["studies"]
        lines += ["", f"study wall time: {s['study']}",
                  *_table(["split", "cores", "threads/job", "wall s"],
                          [[r["split"], r["cores"], r["threads_per_job"], r["wall_seconds"]] for r in s["rows"]]),
                  f"fastest: {s['fastest']}"]
    if "default_estimate" in results:
        e = results["default_estimate"]
        lines += ["", f"default study estimate: {_fmt(e['training_seconds_serial'] / 3600)} h of training "
                      f"(serial, measured threads); not measured: {', '.join(e['runs_not_measured']) or 'none'}"]
    if "study" in results:
        s = results["study"]
        lines += ["", f"study {s['command']}: {_fmt(s['wall_seconds'])} s"]
    return "\n".join(lines)
