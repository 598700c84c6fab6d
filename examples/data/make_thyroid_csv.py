"""Write examples/data/thyroid.csv from ADBench's ``38_thyroid.npz``.

Usage::

    python examples/data/make_thyroid_csv.py path/to/38_thyroid.npz [out.csv]

The npz holds ``X`` (3,772 rows x 6 features, already min-max scaled to
[0, 1] by ODDS/ADBench) and ``y`` (1 = anomaly). The features keep their
order but get neutral names ``x1``..``x6``: the source files do not name
them. Values are rounded to 6 significant digits to keep the file small.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd


def main(npz_path, out_path):
    with np.load(npz_path, allow_pickle=False) as data:
        X, y = data["X"], data["y"]
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(1, X.shape[1] + 1)])
    frame["label"] = y.astype(int)
    frame.to_csv(out_path, index=False, float_format="%.6g")
    print(f"wrote {out_path}: {len(frame)} rows, {int(y.sum())} anomalies")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    out = sys.argv[2] if len(sys.argv) == 3 else Path(__file__).with_name("thyroid.csv")
    main(sys.argv[1], out)
