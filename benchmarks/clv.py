"""CLV model fits: `wateja.core.clv` beside lifetimes' fitters, on the same synthetic customers.

    .venv/bin/python benchmarks/clv.py                      # 1,000,000 customers
    .venv/bin/python benchmarks/clv.py --customers 100000   # a quick run

Draws N customers (seeded) from the BG/NBD process with the CDNOW parameters (Fader, Hardie &
Lee 2005: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, time in weeks) and CDNOW's calendar:
first purchases spread over the first 12 weeks, a window ending at week 39, every date a whole
day (ages are days / 7, as in the CDNOW summary). Repeat customers' mean spend is drawn from
the Gamma-Gamma model with the published CDNOW parameters (p = 6.25, q = 3.74, v = 15.44) and
rounded to cents.

Each fit runs in a fresh subprocess that imports everything (numpy, scipy, pandas, lifetimes,
autograd, ours: the same for every fit) and loads the data first, then times one fit. The fits
of a model run in turn, ours then lifetimes', in ``--repeat`` (3) interleaved rounds; each
shows its median wall time (the machine may be shared), each speed-up is the median of the
per-round speed-ups, and the peak memory is the largest of the rounds: the process's peak
RSS over the fit (VmHWM, reset just before it through /proc/self/clear_refs; Linux only) and
how far that is above the RSS just before it (imports and data):

* BG/NBD: ``fit_bgnbd`` (identical rows merged first, the default), ``fit_bgnbd(compress=
  False)`` for information, and ``lifetimes.BetaGeoFitter().fit``. lifetimes' fit also computes
  standard errors (an autograd Hessian, timed separately and shown), which ours does not;
* Gamma-Gamma: the same three with ``fit_gamma_gamma`` and ``GammaGammaFitter`` (given only
  the repeat customers, as lifetimes expects; ours is given everyone and filters);
* for information, a 12-month CLV discounted at 1 % a month for every customer, ours
  (``customer_lifetime_value``) and lifetimes' (``GammaGammaFitter.customer_lifetime_value``).

It prints each figure, the speed-up over lifetimes (target >= 5) and the largest relative
difference between our parameters and lifetimes' (target <= 1e-3), and exits 1 if a target is
missed. No Django.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CUSTOMERS = 1_000_000
SEED = 20260310
BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # CDNOW, weeks
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "v": 15.44}  # CDNOW, dollars
WINDOW_DAYS = 39 * 7
COHORT_DAYS = 12 * 7
TARGET_SPEEDUP = 5.0
TARGET_DIFFERENCE = 1e-3
WEEKS_PER_MONTH = 4.345


def synthetic_customers(n: int, seed: int) -> dict[str, np.ndarray]:
    """frequency, recency, T (weeks, whole days) and monetary_value (cents) of n customers."""
    rng = np.random.default_rng(seed)
    age_days = WINDOW_DAYS - rng.integers(0, COHORT_DAYS, n)
    age = age_days / 7
    rate = rng.gamma(BGNBD["r"], 1 / BGNBD["alpha"], n)
    dropout = rng.beta(BGNBD["a"], BGNBD["b"], n)
    arrivals = rng.poisson(rate * age)  # purchases if the customer never dropped out
    last = rng.geometric(dropout)  # the repeat purchase after which they drop out
    x = np.minimum(arrivals, last)
    # the x-th of `arrivals` uniform purchase times in [0, T], to the day
    share = rng.beta(np.maximum(x, 1), arrivals - x + 1)
    recency_days = np.where(x > 0, np.minimum(np.round(share * age_days), age_days), 0)
    nu = rng.gamma(GAMMA_GAMMA["q"], 1 / GAMMA_GAMMA["v"], n)
    mean_spend = rng.gamma(GAMMA_GAMMA["p"] * np.maximum(x, 1), 1 / nu) / np.maximum(x, 1)
    monetary = np.where(x > 0, np.maximum(np.round(mean_spend, 2), 0.01), 0.0)
    return {
        "frequency": x.astype(np.float64),
        "recency": recency_days / 7,
        "T": age,
        "monetary_value": monetary,
    }


# -- Workers: one fit each, in a fresh process --------------------------------------------------


def _status_mib(field: str) -> float:
    """VmRSS (now) or VmHWM (peak since the last reset) of this process, in MiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    """Start the peak RSS (VmHWM) over from the current RSS (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def worker(name: str, data_path: str, repeat: int) -> dict[str, Any]:
    warnings.simplefilter("ignore")
    import lifetimes  # every worker imports the same, before the clock starts
    import lifetimes.fitters
    import pandas as pd

    from wateja.core import clv

    data = dict(np.load(data_path))
    x, tx, age, m = data["frequency"], data["recency"], data["T"], data["monetary_value"]
    repeaters = x > 0
    x_rep, m_rep = x[repeaters], m[repeaters]
    extra: dict[str, Any] = {}

    hessian_seconds = [0.0]
    real_hessian = lifetimes.fitters.hessian

    def timed_hessian(function: Any) -> Any:
        compute = real_hessian(function)

        def call(*args: Any) -> Any:
            start = time.perf_counter()
            try:
                return compute(*args)
            finally:
                hessian_seconds[0] += time.perf_counter() - start

        return call

    lifetimes.fitters.hessian = timed_hessian
    params: dict[str, float] = {}
    fitted: Any = None

    def run() -> None:
        nonlocal fitted
        if name == "bgnbd-ours":
            fitted = clv.fit_bgnbd(x, tx, age)
        elif name == "bgnbd-ours-uncompressed":
            fitted = clv.fit_bgnbd(x, tx, age, compress=False)
        elif name == "bgnbd-lifetimes":
            fitted = lifetimes.BetaGeoFitter().fit(x, tx, age)
        elif name == "gg-ours":
            fitted = clv.fit_gamma_gamma(x, m)
        elif name == "gg-ours-uncompressed":
            fitted = clv.fit_gamma_gamma(x, m, compress=False)
        elif name == "gg-lifetimes":
            fitted = lifetimes.GammaGammaFitter().fit(x_rep, m_rep)
        elif name == "clv-ours":
            model = clv.BGNBDFit(**BGNBD)
            spend = clv.GammaGammaFit(**GAMMA_GAMMA)
            fitted = clv.customer_lifetime_value(
                model, spend, x, tx, age, m, horizon=12 * WEEKS_PER_MONTH,
                units_per_month=WEEKS_PER_MONTH, monthly_discount_rate=0.01,
            )  # fmt: skip
        elif name == "clv-lifetimes":
            fitted = spend_fitter.customer_lifetime_value(
                count_fitter, pd.Series(x), pd.Series(tx), pd.Series(age), pd.Series(m),
                time=12, discount_rate=0.01, freq="W",
            )  # fmt: skip
        else:
            raise SystemExit(f"unknown worker {name}")

    if name == "clv-lifetimes":  # lifetimes fitters that predict with the CDNOW parameters
        count_fitter = lifetimes.BetaGeoFitter()
        count_fitter.params_ = pd.Series(BGNBD)
        count_fitter.predict = count_fitter.conditional_expected_number_of_purchases_up_to_time
        spend_fitter = lifetimes.GammaGammaFitter()
        spend_fitter.params_ = pd.Series(GAMMA_GAMMA)

    gc.collect()
    _reset_peak()
    before = _status_mib("VmRSS")
    timings, hessian_timings = [], []
    for _ in range(repeat):
        hessian_seconds[0] = 0.0
        start = time.perf_counter()
        run()
        timings.append(time.perf_counter() - start)
        hessian_timings.append(hessian_seconds[0])
    seconds = float(np.median(timings))
    peak = _status_mib("VmHWM")

    if name.startswith("bgnbd-ours"):
        params = {key: getattr(fitted, key) for key in BGNBD}
        extra = {"rows": fitted.rows, "iterations": fitted.iterations}
        extra["converged"] = fitted.converged
    elif name.startswith("gg-ours"):
        params = {key: getattr(fitted, key) for key in GAMMA_GAMMA}
        extra = {"rows": fitted.rows, "iterations": fitted.iterations}
        extra["converged"] = fitted.converged
    elif name.endswith("lifetimes") and not name.startswith("clv"):
        params = {key: float(value) for key, value in fitted.params_.items()}
        extra = {"hessian_seconds": float(np.median(hessian_timings))}
    else:
        extra = {"total": float(np.sum(np.asarray(fitted)))}
    return {
        "name": name,
        "seconds": seconds,
        "timings": timings,
        "peak_mib": peak,
        "growth_mib": peak - before,
        "params": params,
        **extra,
    }


def measure_rounds(names: list[str], data_path: str, rounds: int) -> dict[str, dict[str, Any]]:
    """Each fit once per round, in turn (a fresh subprocess each), `rounds` times; per fit the
    last run's details with the median time, the largest peak RSS, and every round's time."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for _ in range(rounds):
        for name in names:
            runs[name].append(measure(name, data_path, 1))
    summary = {}
    for name, results in runs.items():
        merged = dict(results[-1])
        merged["seconds"] = float(np.median([r["seconds"] for r in results]))
        merged["round_seconds"] = [r["seconds"] for r in results]
        merged["peak_mib"] = max(r["peak_mib"] for r in results)
        merged["growth_mib"] = max(r["growth_mib"] for r in results)
        if "hessian_seconds" in merged:
            merged["hessian_seconds"] = float(np.median([r["hessian_seconds"] for r in results]))
        summary[name] = merged
    return summary


def round_speedup(fast: dict[str, Any], slow: dict[str, Any]) -> float:
    """The median over the rounds of slow/fast measured in the same round."""
    pairs = zip(fast["round_seconds"], slow["round_seconds"], strict=True)
    return float(np.median([b / a for a, b in pairs]))


def measure(name: str, data_path: str, repeat: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", name, "--data", data_path]
    done = subprocess.run(
        [*command, "--repeat", str(repeat)], capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"worker {name} failed (exit {done.returncode})")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- Report --------------------------------------------------------------------------------------


def max_relative_difference(ours: dict[str, float], theirs: dict[str, float]) -> float:
    return max(abs(ours[key] / theirs[key] - 1) for key in ours)


def show(result: dict[str, Any]) -> None:
    line = (
        f"  {result['name']:<24} {result['seconds']:7.3f} s   peak RSS "
        f"{result['peak_mib']:6.1f} MiB, +{result['growth_mib']:6.1f} MiB over the data"
    )
    if "rows" in result:
        line += f"   {result['rows']:,} rows, {result['iterations']} iterations"
        if not result["converged"]:
            line += "  NOT CONVERGED"
    if "hessian_seconds" in result:
        line += f"   of which {result['hessian_seconds']:.3f} s standard errors (Hessian)"
    print(line)
    if result["params"]:
        print("  " + " " * 25 + "  ".join(f"{k}={v:.6g}" for k, v in result["params"].items()))


def compare(
    title: str, ours: dict[str, Any], plain: dict[str, Any], theirs: dict[str, Any]
) -> bool:
    speedup = round_speedup(ours, theirs)
    plain_speedup = round_speedup(plain, theirs)
    difference = max_relative_difference(ours["params"], theirs["params"])
    fast = speedup >= TARGET_SPEEDUP
    close = difference <= TARGET_DIFFERENCE
    print(
        f"{title} speed-up vs lifetimes: {speedup:.1f}x (target >= {TARGET_SPEEDUP:g}x) "
        f"{'MET' if fast else 'MISSED'}; without compression {plain_speedup:.1f}x"
    )
    print(
        f"{title} max relative difference of parameters: {difference:.2e} "
        f"(target <= {TARGET_DIFFERENCE:g}) {'MET' if close else 'MISSED'}"
    )
    return fast and close


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--repeat", type=int, default=3, help="interleaved rounds of every fit (median shown)"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.data, args.repeat)))
        return 0

    import lifetimes

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"lifetimes {lifetimes.__version__}, {platform.machine()}"
    )
    start = time.perf_counter()
    data = synthetic_customers(args.customers, args.seed)
    repeat = int(np.count_nonzero(data["frequency"] > 0))
    print(
        f"{args.customers:,} customers ({repeat:,} with repeat purchases, up to "
        f"{int(data['frequency'].max())}), drawn in {time.perf_counter() - start:.1f} s"
    )
    ok = True
    with tempfile.TemporaryDirectory(prefix="wateja_clv_") as tmp:
        path = str(Path(tmp) / "customers.npz")
        np.savez(path, **data)
        results: dict[str, dict[str, Any]] = {}
        for title, prefix, truth in (
            ("BG/NBD", "bgnbd", BGNBD),
            ("Gamma-Gamma", "gg", GAMMA_GAMMA),
        ):
            print(
                f"\n{title} (true parameters: "
                + ", ".join(f"{k}={v}" for k, v in truth.items())
                + ")"
            )
            names = [f"{prefix}-{v}" for v in ("ours", "ours-uncompressed", "lifetimes")]
            results.update(measure_rounds(names, path, args.repeat))
            for name in names:
                show(results[name])
            ok &= compare(
                title, results[f"{prefix}-ours"], results[f"{prefix}-ours-uncompressed"],
                results[f"{prefix}-lifetimes"],
            )  # fmt: skip
        print("\n12-month CLV, discounted 1 % a month, every customer (for information)")
        results.update(measure_rounds(["clv-ours", "clv-lifetimes"], path, args.repeat))
        for name in ("clv-ours", "clv-lifetimes"):
            show(results[name])
        ours, theirs = results["clv-ours"], results["clv-lifetimes"]
        print(
            f"CLV speed-up vs lifetimes: {round_speedup(ours, theirs):.1f}x; "
            f"totals {ours['total']:,.2f} and {theirs['total']:,.2f}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
