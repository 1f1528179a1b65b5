#!/usr/bin/env python3
"""Times statsforecast's AutoETS(season_length=7) alone, fit + predict, on the Chicago set.

The 20 station series of datasets/data/forecast/chicago_ridership_daily.csv, the last --h days
held out (the same cut as `forecast_scale chicago`), n_jobs=1, after an untimed warm-up on
2 short series (numba compilation). Prints `wall_s=<seconds>` and `cpu_s=<seconds>` on stdout.

Usage: python3 autoets_time.py [--data DIR] [--h 28]
Needs: pip install statsforecast (tested with 2.1.1).
"""
import argparse
import os
import time
import warnings

import pandas as pd

warnings.filterwarnings("ignore")
os.environ.setdefault("NIXTLA_ID_AS_COL", "1")

from statsforecast import StatsForecast  # noqa: E402
from statsforecast.models import AutoETS  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="datasets/data/forecast")
    ap.add_argument("--h", type=int, default=28)
    a = ap.parse_args()
    df = pd.read_csv(os.path.join(a.data, "chicago_ridership_daily.csv"))
    first_exog = list(df.columns).index("temp_min")
    stations = [c for c in df.columns[:first_exog] if c not in ("date", "ridership")]
    long = df.melt(id_vars=["date"], value_vars=stations, var_name="unique_id", value_name="y")
    long["ds"] = pd.to_datetime(long["date"])
    long = long[["unique_id", "ds", "y"]].sort_values(["unique_id", "ds"])
    last = long["ds"].max() - pd.Timedelta(days=a.h)
    train = long[long["ds"] <= last]

    warm = train[train["unique_id"].isin(stations[:2])].groupby("unique_id").tail(200)
    StatsForecast(models=[AutoETS(season_length=7)], freq="D", n_jobs=1).forecast(
        df=warm, h=a.h, level=[80]
    )

    sf = StatsForecast(models=[AutoETS(season_length=7)], freq="D", n_jobs=1)
    t, c = time.perf_counter(), time.process_time()
    fc = sf.forecast(df=train, h=a.h, level=[80])
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    assert len(fc) == len(stations) * a.h
    print(f"series={len(stations)} rows={len(train)}")
    print(f"wall_s={wall:.3f}")
    print(f"cpu_s={cpu:.3f}")


if __name__ == "__main__":
    main()
