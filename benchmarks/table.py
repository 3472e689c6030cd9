"""The plain-text summary of the benchmark's JSON sections."""

from __future__ import annotations


def _fmt(value, digits: int = 3) -> str:
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def table(headers: list[str], rows: list[list]) -> list[str]:
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
                  *table(["arch", "preset", "n_dis", "batch", "suite s/it", "bare s/it", "suite img/s", "suite/bare"],
                          [[r["arch"], r["preset"], r["n_dis"], r["batch_size"], r["suite_seconds_per_iteration"],
                            r["bare_seconds_per_iteration"], r["suite_images_per_second"],
                            r["ratio_suite_to_bare"]] for r in results["training"]["rows"]]),
                  f"target: {results['training']['target']}",
                  *[f"not applicable: {r['arch']}/{r['preset']}: {r['reason']}"
                    for r in results["training"]["not_applicable"]]]
    if "peer" in results:
        lines += ["", *peer_lines(results["peer"])]
    if "parts" in results:
        p = results["parts"]
        lines += ["", f"stabilization parts: {p['preset']} on {p['arch']} {p['arch_spec']}, n_dis {p['n_dis']}",
                  *table(["part", "constraint", "d_norm", "s/it", "vs none"],
                          [[r["part"], r["constraint"], r["d_norm"], r["seconds_per_iteration"],
                            r["relative_to_none"]] for r in p["rows"]])]
    if "stacking" in results:
        st = results["stacking"]
        lines += ["", f"a small net's seeds as one vmapped critic vs one by one ({st['preset']}, forward + backward, "
                      f"CPU s, {st['threads']} threads)",
                  *table(["net", "seeds", "batch", "one by one", "stacked", "speed-up"],
                         [[r["net"], r["seeds"], r["batch_size"], r["one_by_one_cpu_seconds"], r["stacked_cpu_seconds"],
                           r["speedup"]] for r in st["rows"]]),
                  "", "a whole iteration of one seed: CPU s and conv + linear GFLOP/s",
                  *table(["net", "CPU s/it", "GFLOP/it", "GFLOP/s"],
                         [[r["net"], r["cpu_seconds_per_iteration"], r["gflop_per_iteration"], r["gflops"]]
                          for r in st["iterations"]])]
    if "formats" in results:
        f = results["formats"]
        lines += ["", "training step formats: seconds per generator iteration relative to fp32 (median)",
                  *table(["arch", "preset", "fp32 s/it", *[f"{n}" for n in f["formats"][1:]]],
                          [[r["arch"], r["preset"], r["fp32_seconds_per_iteration"],
                            *[r[f"{n}_vs_fp32"] for n in f["formats"][1:]]] for r in f["rows"]]),
                  f"one 3x3 convolution, forward + backward: bf16 autocast / fp32 = {_fmt(f['bf16_convolution_ratio'])}"
                  f" ({'native' if f['native_bf16'] else 'emulated'} bf16)",
                  *([] if f["native_bf16"] else
                    ["bf16 steps not timed: this CPU has no native bf16 (AVX-512 BF16); runs asking for it train "
                     "in fp32"]),
                  "", "training images/s by batch size (fp32)",
                  *table(["arch", "preset", "batch", "s/it", "img/s"],
                          [[r["arch"], r["preset"], r["batch_size"], r["seconds_per_iteration"],
                            r["images_per_second"]] for r in f["batch_rows"]])]
    if "memory" in results:
        lines += ["", f"training jobs in their own process: {results['memory']['note']}",
                  *table(["job", "arch", "preset", "batch", "threads", "s/it", "peak RSS MiB"],
                         [[r["name"], r["arch"], r["preset"], r["batch_size"], r["threads"],
                           r["seconds_per_iteration"], round(r["peak_rss_mib"])] for r in results["memory"]["rows"]])]
        scoring = results["memory"]["scoring"]
        lines += [f"Inception scoring in its own process ({scoring['threads']} threads): reference of {scoring['n']} "
                  f"test images, peak RSS {round(scoring['reference_peak_rss_mib'])} MiB, "
                  f"{scoring['reference_cpu_seconds']:.0f} CPU s; then {scoring['n']} held-out images scored "
                  f"against it (precision/recall on {scoring['prdc_n']} rows), peak RSS "
                  f"{round(scoring['peak_rss_mib'])} MiB, {scoring['scoring_cpu_seconds']:.0f} CPU s"]
    if "inception" in results:
        i = results["inception"]
        names = ["suite_channels_last", "suite_contiguous", "bare_module", "bare_torchscript"]
        lines += ["", f"Inception pool3 fp32, n {i['n']}, batch {i['batch_size']} (target: {i['target']})",
                  *table(["contender", "img/s"], [[n, i[f"{n}_images_per_second"]] for n in names]),
                  f"bare module / suite {_fmt(i['ratio_bare_module_to_suite'])}   "
                  f"bare torchscript / suite {_fmt(i['ratio_bare_torchscript_to_suite'])}   "
                  f"channels_last speed-up {_fmt(i['channels_last_speedup'])}"]
    if "domain" in results:
        d = results["domain"]
        lines += ["", f"domain metrics: {_fmt(d['domain_images_per_second'])} img/s (n {d['n']}, batch {d['batch_size']})"]
    if "studies" in results:
        s = results["studies"]
        lines += ["", f"study wall time: {s['study']}",
                  *table(["split", "cores", "threads/job", "wall s"],
                          [[r["split"], r["cores"], r["threads_per_job"], r["wall_seconds"]] for r in s["rows"]]),
                  f"fastest: {s['fastest']}"]
    if "overhead" in results:
        from benchmarks.overhead import render as overhead_lines
        from benchmarks.processes import render as process_lines

        o = results["overhead"]
        lines += ["", f"{o['command']}: {_fmt(o['wall_seconds'])} s wall", *overhead_lines(o, o["startup"]),
                  *process_lines(o["processes"])]
    if "default_estimate" in results:
        e = results["default_estimate"]
        lines += ["", f"default study estimate: {_fmt(e['training_seconds_serial'] / 3600)} h of training "
                      f"(serial, measured threads); not measured: {', '.join(e['runs_not_measured']) or 'none'}"]
    if "study" in results:
        s = results["study"]
        lines += ["", f"study {s['command']}: {_fmt(s['wall_seconds'])} s"]
    return "\n".join(lines)


def peer_lines(peer: dict) -> list[str]:
    """The suite/torch-mimicry ratio table and each contender's GFLOP/s against the CPU's fp32 peak."""
    if "skipped" in peer:
        return [peer["skipped"]]
    peak = peer["fp32_peak"]
    rows = peer["rows"]
    repeats = rows[0]["repeats"] if rows else 0
    return [f"peer: suite vs {peer['peer']} on the SN-GAN 32x32 ResNet, seconds per generator iteration "
            f"(n_dis critic steps + 1 G step), median of {repeats} interleaved, {peer['threads']} threads",
            *table(["preset", "G ch", "D ch", "batch", "n_dis", "suite s/it", "peer s/it", "suite/peer"],
                   [[r["preset"], r["g_width"], r["d_width"], r["batch_size"], r["n_dis"],
                     r["suite_seconds_per_iteration"], r["peer_seconds_per_iteration"], r["ratio_suite_to_peer"]]
                    for r in rows]),
            f"target: {peer['target']}",
            *([f"suite at bf16 / peer: " + ", ".join(f"{r['preset']} G {r['g_width']} / D {r['d_width']} "
                                                     f"{_fmt(r['ratio_suite_bf16_to_peer'])}" for r in rows)]
              if rows and "ratio_suite_bf16_to_peer" in rows[0] else
              ["bf16 not timed: this CPU has no native bf16 (AVX-512 BF16)"] if not peer.get("native_bf16", True)
              else []),
            "",
            f"achieved GFLOP/s (conv + linear, forward + backward) against the fp32 peak {_fmt(peak['gflops'])} "
            f"GFLOP/s = {peak['cores']} cores x {_fmt(peak['clock_ghz'])} GHz ({peak['clock_source']}) x "
            f"{peak['flops_per_cycle']} FLOP/cycle (2 FMA x 8 lanes x 2)",
            *table(["preset", "G ch", "D ch", "contender", "GFLOP/it", "s/it", "GFLOP/s", "of peak"],
                   [[r["preset"], r["g_width"], r["d_width"], name, r[f"{name}_gflop_per_iteration"],
                     r[f"{name}_seconds_per_iteration"], r[f"{name}_gflops"],
                     f"{r[f'{name}_fraction_of_peak']:.1%}"] for r in rows for name in ("suite", "peer")])]
