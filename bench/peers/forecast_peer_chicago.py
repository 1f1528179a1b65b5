#!/usr/bin/env python3
"""statsforecast peer for the Chicago ridership set, scored like `milkrun-bench --bin forecast`.

Set-up (the same as the `chicago` set of bench/src/bin/forecast.rs):
  - 20 station series (the columns between `date` and `temp_min`, without the `ridership`
    total), daily, 2001-01-22 .. 2016-08-28;
  - horizon 28 days, 4 rolling origins: window w (0 = oldest) trains on everything up to
    (4 - w) * 28 days before the end and forecasts the next 28 days;
  - models: statsforecast AutoETS(season_length=7) and MSTL(season_length=[7, 365]) (MSTL's
    default trend model, AutoETS without season, forecasts the deseasonalised part); with
    --max-history shorter than two years MSTL keeps the weekly season only. Both give native
    80% intervals (level=[80]), whose ends are the 0.1 and 0.9 quantiles.
  - Exogenous columns (weather, game days): statsforecast's AutoETS and MSTL take no
    regressors, so the peer sees the station series only; ours uses them in its global
    regression. This is a difference in the methods, not in the data each side may use.

Metrics, per (series, window) case, means over cases (scaled metrics skip a zero scale):
  scale_abs = mean |y_t - y_{t-7}|, scale_sq = mean (y_t - y_{t-7})^2 over the whole training
  part of that window (not only the --max-history tail);
  MASE  = MAE / scale_abs;  RMSSE = sqrt(MSE / scale_sq);
  SPL90 = mean pinball loss of the 0.9 quantile / scale_abs (M5 uncertainty-track scaling);
  cov80 = share of all test points inside [q0.1, q0.9], pooled over series and windows.
wall_s = seconds of the forecast() calls over the 4 windows (n_jobs=1), after a warm-up call.

Usage: python3 bench/peers/forecast_peer_chicago.py [--data DIR] [--models AutoETS,MSTL]
                                                    [--max-history N]
Prints one JSON line per model. Needs statsforecast (tested with 2.1.1).
"""
import argparse
import json
import os
import time
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
os.environ.setdefault("NIXTLA_ID_AS_COL", "1")

from statsforecast import StatsForecast  # noqa: E402
from statsforecast.models import MSTL, AutoETS  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "datasets", "data", "forecast"))
HORIZON = 28
WINDOWS = 4
SEASON = 7
TAU = 0.9


def station_panel(data_dir):
    """Long table unique_id, ds, y of the 20 station columns."""
    raw = pd.read_csv(os.path.join(data_dir, "chicago_ridership_daily.csv"), parse_dates=["date"])
    cols = list(raw.columns)
    stations = [c for c in cols[: cols.index("temp_min")] if c not in ("date", "ridership")]
    gaps = raw["date"].diff().dropna().dt.days
    if not (gaps == 1).all():
        raise SystemExit("chicago dates are not consecutive days")
    long = raw.melt(id_vars="date", value_vars=stations, var_name="unique_id", value_name="y")
    long = long.rename(columns={"date": "ds"})
    long["y"] = long["y"].astype(float)
    return long.sort_values(["unique_id", "ds"]).reset_index(drop=True), stations


def seasonal_scales(y, m):
    """(mean |d|, mean d^2) of the lag-m differences, or None when too short."""
    if len(y) <= m:
        return None
    d = y[m:] - y[:-m]
    return float(np.mean(np.abs(d))), float(np.mean(d * d))


def make_model(name, history_len):
    if name == "AutoETS":
        return AutoETS(season_length=SEASON)
    if name == "MSTL":
        seasons = [SEASON, 365] if history_len >= 2 * 365 else [SEASON]
        return MSTL(season_length=seasons)
    raise SystemExit(f"unknown model {name}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--models", default="AutoETS,MSTL")
    ap.add_argument("--max-history", type=int, default=0,
                    help="models see only the last N days of each training part (0 = all)")
    a = ap.parse_args()

    panel, stations = station_panel(a.data)
    n_days = panel.groupby("unique_id").size().min()
    by_id = {uid: g["y"].to_numpy() for uid, g in panel.groupby("unique_id")}
    ds_all = np.sort(panel["ds"].unique())

    for name in a.models.split(","):
        wall = 0.0
        mase, rmsse, spl, inside, points = [], [], [], 0, 0
        for w in range(WINDOWS):
            cut = n_days - (WINDOWS - w) * HORIZON
            cut_day = ds_all[cut]
            train = panel[panel["ds"] < cut_day]
            if a.max_history > 0:
                train = train[train["ds"] >= ds_all[max(0, cut - a.max_history)]]
            hist_len = train.groupby("unique_id").size().min()
            if w == 0:  # warm-up (numba compilation) on two series, not timed
                warm = train[train["unique_id"].isin(stations[:2])]
                StatsForecast(models=[make_model(name, hist_len)], freq="D", n_jobs=1).forecast(
                    df=warm, h=HORIZON, level=[80])
            sf = StatsForecast(models=[make_model(name, hist_len)], freq="D", n_jobs=1)
            t0 = time.perf_counter()
            fc = sf.forecast(df=train, h=HORIZON, level=[80])
            wall += time.perf_counter() - t0
            for uid, g in fc.groupby("unique_id"):
                g = g.sort_values("ds")
                y = by_id[uid]
                test = y[cut:cut + HORIZON]
                mean = g[name].to_numpy()
                lo = g[f"{name}-lo-80"].to_numpy()
                hi = g[f"{name}-hi-80"].to_numpy()
                err = test - mean
                u = test - hi
                pin = float(np.mean(np.maximum(TAU * u, (TAU - 1.0) * u)))
                inside += int(np.sum((test >= lo) & (test <= hi)))
                points += len(test)
                sc = seasonal_scales(y[:cut], SEASON)
                if sc is not None and sc[0] > 0 and np.isfinite(sc[0]):
                    mase.append(float(np.mean(np.abs(err))) / sc[0])
                    rmsse.append(float(np.sqrt(np.mean(err * err) / sc[1])))
                    spl.append(pin / sc[0])
        print(json.dumps({
            "dataset": "chicago", "model": name, "n_series": len(stations), "h": HORIZON,
            "windows": WINDOWS, "max_history": a.max_history or None,
            "mase": round(float(np.mean(mase)), 4), "rmsse": round(float(np.mean(rmsse)), 4),
            "spl90": round(float(np.mean(spl)), 4), "cov80": round(inside / max(points, 1), 3),
            "wall_s": round(wall, 3), "exog": "none (not supported by these models)",
        }), flush=True)


if __name__ == "__main__":
    main()
