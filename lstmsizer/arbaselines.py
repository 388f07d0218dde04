"""Autoregressive baselines, direct multi-step: least-squares linear AR and degree-2 poly AR."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lstmsizer.contract import as_origins, as_series, check_fitted
from lstmsizer.errors import DataError, check, check_int
from lstmsizer.simplebaselines import one_blas_thread, training_part
from lstmsizer.windows import make_windows, windows_at

Array = NDArray[np.float64]


def _train_windows(y_train: Array, lags: int, horizon: int) -> tuple[Array, Array]:
    """Training windows as (N, lags) lag matrix and (N, horizon) targets."""
    if y_train.size < lags + horizon:
        raise DataError(
            f"the training series must have at least lags + horizon = {lags + horizon} values "
            f"for {lags} lags and horizon {horizon}, got {y_train.size}"
        )
    X, Y = make_windows(y_train[:, None], y_train[:, None], lags, horizon)
    return X[:, :, 0], Y[:, :, 0]


def fit_linear_ar(y_train: ArrayLike, lags: int, horizon: int = 1) -> Array:
    """Least-squares AR with intercept, one coefficient column per step (direct multi-step).

    Args:
        y_train: Training series, 1-D.
        lags: Number of past values each forecast reads.
        horizon: Number of steps; step h has its own coefficients.

    Returns:
        coef (lags + 1, horizon): row 0 the intercepts, rows 1.. the lags, oldest first.
    """
    lagged, target = _train_windows(as_series(y_train, "y_train"), lags, horizon)
    design = np.hstack([np.ones((lagged.shape[0], 1)), lagged])  # (N, 1 + lags)
    coef, *_ = np.linalg.lstsq(design, target, rcond=None)
    return np.asarray(coef, dtype=np.float64)


def linear_ar_forecast(y: ArrayLike, origins: ArrayLike, horizon: int, *, coef: Array) -> Array:
    """Forecasts of a fitted linear AR from the windows y[o - lags : o]."""
    lags = coef.shape[0] - 1
    check(coef.shape[1] == horizon, "horizon", f"must match coef ({coef.shape[1]})", horizon)
    arr = as_series(y)
    lagged = windows_at(arr[:, None], lags, as_origins(origins, arr.size, lags))[:, :, 0]
    return coef[0][None, :] + lagged @ coef[1:]


@dataclass(frozen=True)
class PolyARParams:
    """A fitted degree-2 ridge AR: standardisation of the monomials and the coefficients."""

    lags: int
    mean: Array  # (P,) training mean of each monomial
    scale: Array  # (P,) training standard deviation (1 where constant)
    coef: Array  # (P, horizon)
    intercept: Array  # (horizon,)


def _monomials(lagged: Array) -> Array:
    """All monomials of degree 1 and 2 of the lags: (N, L) -> (N, L + L (L + 1) / 2)."""
    n, lags = lagged.shape
    i, j = np.triu_indices(lags)
    out = np.empty((n, lags + i.size))
    out[:, :lags] = lagged
    # Column by column: no (N, P) temporaries, which dominate memory on long series.
    for k, (a, b) in enumerate(zip(i, j, strict=True)):
        np.multiply(lagged[:, a], lagged[:, b], out=out[:, lags + k])
    return out


def fit_poly_ar(
    y_train: ArrayLike, lags: int, horizon: int = 1, *, alpha: float = 1.0
) -> PolyARParams:
    """Degree-2 polynomial AR by ridge regression, direct multi-step.

    Features are the lags, their squares and pairwise products, each standardised on the
    training windows; the intercept is not penalised. The penalty alpha applies to the
    standardised features (their Gram matrix has N on its diagonal), so the default 1.0 is
    a light, fixed regularisation that only matters when features are nearly collinear.

    Args:
        y_train: Training series, 1-D.
        lags: Number of past values each forecast reads.
        horizon: Number of steps; step h has its own coefficients.
        alpha: Ridge penalty (>= 0).

    Returns:
        The fitted parameters.
    """
    check(alpha >= 0, "alpha", "must be >= 0", alpha)
    lagged, target = _train_windows(as_series(y_train, "y_train"), lags, horizon)
    z = _monomials(lagged)
    mean = z.mean(axis=0)
    scale = z.std(axis=0)
    scale[scale == 0] = 1.0
    z -= mean  # in place: the monomials are not needed any more
    z /= scale
    y_mean = target.mean(axis=0)
    gram = z.T @ z + alpha * np.eye(z.shape[1])
    coef = np.linalg.solve(gram, z.T @ (target - y_mean))
    return PolyARParams(lags, mean, scale, coef, y_mean)


def poly_ar_forecast(
    y: ArrayLike, origins: ArrayLike, horizon: int, *, params: PolyARParams
) -> Array:
    """Forecasts of a fitted polynomial AR from the windows y[o - lags : o]."""
    check(params.coef.shape[1] == horizon, "horizon", "must match the fitted horizon", horizon)
    arr = as_series(y)
    lagged = windows_at(arr[:, None], params.lags, as_origins(origins, arr.size, params.lags))
    z = (_monomials(lagged[:, :, 0]) - params.mean) / params.scale
    return params.intercept[None, :] + z @ params.coef


class _AR:
    """What the AR baselines share: lags and horizon, checked, and a training part of at
    least lags + horizon values (one training window)."""

    def __init__(self, name: str, lags: int, horizon: int) -> None:
        check_int("lags", lags)
        self.lags = lags
        check_int("horizon", horizon)
        self.horizon = horizon
        self.name = name

    def _training_part(self, y: ArrayLike, train_end: int | None) -> Array:
        return training_part(y, train_end, self.lags + self.horizon, self.name)


class LinearAR(_AR):
    """Least-squares AR(lags) with intercept, direct multi-step."""

    def __init__(self, lags: int, horizon: int = 1) -> None:
        super().__init__(f"linear AR({lags})", lags, horizon)

    def fit(
        self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None
    ) -> LinearAR:
        self.coef_ = fit_linear_ar(self._training_part(y, train_end), self.lags, self.horizon)
        return self

    def predict(self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None) -> Array:
        check_fitted(self, "coef_")
        return linear_ar_forecast(y, origins, self.horizon, coef=self.coef_)


class PolyAR(_AR):
    """Degree-2 polynomial AR(lags) by ridge regression, direct multi-step."""

    def __init__(self, lags: int, horizon: int = 1, alpha: float = 1.0) -> None:
        super().__init__(f"poly AR({lags}, deg 2)", lags, horizon)
        check(alpha >= 0, "alpha", "must be >= 0", alpha)
        self.alpha = alpha

    def fit(
        self, y: ArrayLike, X: ArrayLike | None = None, *, train_end: int | None = None
    ) -> PolyAR:
        train = self._training_part(y, train_end)
        with one_blas_thread():
            self.params_ = fit_poly_ar(train, self.lags, self.horizon, alpha=self.alpha)
        return self

    def predict(self, y: ArrayLike, origins: ArrayLike, X: ArrayLike | None = None) -> Array:
        check_fitted(self, "params_")
        return poly_ar_forecast(y, origins, self.horizon, params=self.params_)
