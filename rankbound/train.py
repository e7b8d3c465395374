"""Small numpy trainers whose per-epoch logs feed the bounds.

* :func:`train_listnet_linear` — a linear ranker ``s = w . x`` trained with the ListNet loss
  (:func:`~rankbound.softmax_cross_entropy`) on whole query lists, e.g. the MSLR sample of
  :func:`~rankbound.datasets.load_mslr_sample`.
* :func:`train_embedding` — a linear map to the unit sphere trained with NormFace, CosFace,
  ArcFace (class proxies, :func:`~rankbound.losses.margin_logits`) or in-batch InfoNCE
  (:func:`~rankbound.losses.info_nce`), e.g. on :func:`~rankbound.datasets.load_digits_retrieval`.

Both use full-batch Adam (Kingma & Ba, 2015) with analytic gradients — the objectives and their
gradients are public (:func:`listnet_linear_objective`, :func:`embedding_objective`) so that the
tests can compare them with finite differences — and both are deterministic given ``seed``. Each
logs, at initialisation and after every epoch (one full-batch step), the mean loss and the mean
metrics together with ``-log(mean metric)``: by :prf:ref:`thm-rr-bound` and the Jensen step of
the book, ``-log(mean RR) <= mean loss`` at every logged epoch (binary relevance, linear target).
The chapters *Learning-to-rank experiment* and *Metric-learning experiment* plot these logs.

Metrics use the pessimistic tie order by default (``ties=``): ranks count every item scored at
least as high, the convention under which the rank lemma holds without exception.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rankbound._validation import (
    check_array,
    check_indices,
    check_int,
    check_lists,
    check_matrix,
    check_option,
    check_positive_float,
    check_real,
    check_seed,
)
from rankbound.datasets import RankingData
from rankbound.losses import (
    MARGIN_KINDS,
    TARGETS,
    _check_margin_args,
    _margin_logits_2d,
    info_nce,
    softmax_cross_entropy,
    softmax_cross_entropy_gradient,
)
from rankbound.metrics import average_precision, ndcg, reciprocal_rank
from rankbound.ranking import TIE_POLICIES

__all__ = [
    "TrainLog",
    "RELEVANCE",
    "EMBEDDING_LOSSES",
    "listnet_linear_objective",
    "train_listnet_linear",
    "embedding_objective",
    "train_embedding",
]

RELEVANCE = ("graded", "binary1", "binary2")
EMBEDDING_LOSSES = (*MARGIN_KINDS, "infonce")


@dataclass(frozen=True, eq=False)
class TrainLog:
    """What a trainer logged, epoch by epoch, and what it learned.

    Attributes
    ----------
    history : dict of str to ndarray
        One array per logged quantity, one entry per logged epoch (``history["epoch"]`` is
        0 for the initial parameters, then 1, 2, ...). ``log["key"]`` is ``log.history["key"]``.
    params : dict of str to ndarray
        The final parameters (and whatever is needed to apply them, e.g. the standardisation).
    info : dict
        Settings and counts (lists used, lists skipped for lack of a relevant item, ...).
    """

    history: dict
    params: dict
    info: dict

    def __getitem__(self, key: str) -> np.ndarray:
        return self.history[key]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.history)

    def records(self) -> list[dict[str, float]]:
        """The history as one dict per logged epoch."""
        n = len(self.history["epoch"])
        return [{k: float(v[i]) for k, v in self.history.items()} for i in range(n)]

    def final(self) -> dict[str, float]:
        """The last logged epoch."""
        return self.records()[-1]


class _Adam:
    """Adam (Kingma & Ba, 2015) on a dict of arrays, with the paper's default moments."""

    def __init__(self, params: dict[str, np.ndarray], lr: float, b1=0.9, b2=0.999, eps=1e-8):
        self.lr, self.b1, self.b2, self.eps, self.t = lr, b1, b2, eps, 0
        self.m = {k: np.zeros_like(v) for k, v in params.items()}
        self.v = {k: np.zeros_like(v) for k, v in params.items()}

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        for k, g in grads.items():
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * g * g
            m_hat = self.m[k] / (1 - self.b1**self.t)
            v_hat = self.v[k] / (1 - self.b2**self.t)
            params[k] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def _mean_metrics(
    prefix: str, labels, scores, mask, *, gain: str, ties: str, cutoff=True
) -> dict[str, float]:
    """Mean RR, NDCG, (NDCG@10,) AP over the lists, with -log of each mean."""
    out = {
        "rr": reciprocal_rank(labels, scores, mask=mask, ties=ties),
        "ndcg": ndcg(labels, scores, mask=mask, ties=ties, gain=gain),
        "ap": average_precision(labels, scores, mask=mask, ties=ties),
    }
    if cutoff:
        out["ndcg@10"] = ndcg(labels, scores, k=10, mask=mask, ties=ties, gain=gain)
    res = {}
    for name, values in out.items():
        mean = float(np.mean(values))
        res[f"{prefix}{name}"] = mean
        res[f"{prefix}neglog_{name}"] = -np.log(mean) if mean > 0 else np.inf
    return res


def _stack(records: list[dict[str, float]]) -> dict[str, np.ndarray]:
    return {k: np.array([r[k] for r in records]) for k in records[0]}


# --- ListNet with a linear scorer ------------------------------------------------------------


def listnet_linear_objective(w, X, labels, mask, *, target="linear", l2=0.0):
    r"""Mean ListNet loss of the linear scorer ``s = X w`` over padded lists, and its gradient.

    .. math:: J(w) = \frac{1}{Q} \sum_{q=1}^{Q} \ell(y_q, X_q w) + \frac{\lambda}{2} \|w\|^2,
              \qquad \nabla J = \frac{1}{Q} \sum_q X_q^\top (p_q - t_q) + \lambda w

    with :func:`~rankbound.softmax_cross_entropy` and its gradient
    :func:`~rankbound.softmax_cross_entropy_gradient` (``p - t``) pulled back through ``s = X w``.
    Every list must have a relevant item.

    Parameters
    ----------
    w : array of shape (d,)
    X : array of shape (Q, n, d)
    labels, mask : arrays of shape (Q, n)
    target : {"linear", "exponential", "softmax"}
    l2 : float >= 0

    Returns
    -------
    value : float
        ``J(w)``, including the penalty.
    grad : ndarray of shape (d,)
    """
    func = "listnet_linear_objective"
    check_option(func, "target", target, TARGETS)
    l2 = check_real(func, "l2", l2, low=0.0)
    lists = check_lists(func, labels, labels, mask)
    if lists.one_list:
        raise ValueError(
            f"{func}: 'labels' must be 2-D (one row per list); got shape {np.shape(labels)}"
        )
    X = check_array(func, "X", X, ndim=3)
    w = check_array(func, "w", w, ndim=1)
    if X.shape != (*lists.labels.shape, w.size):
        raise ValueError(
            f"{func}: 'X' must have shape (lists, items, features) = "
            f"{(*lists.labels.shape, w.size)} "
            f"to match 'labels' and 'w'; got {X.shape}"
        )
    return _listnet_objective(w, X, lists.labels, lists.mask, target, l2)


def _listnet_objective(w, X, labels, mask, target, l2):
    scores = X @ w
    loss = softmax_cross_entropy(labels, scores, target=target, mask=mask)
    g = softmax_cross_entropy_gradient(labels, scores, target=target, mask=mask)
    n = scores.shape[0]
    value = float(np.mean(loss)) + 0.5 * l2 * float(w @ w)
    grad = np.einsum("qn,qnd->d", g, X) / n + l2 * w
    return value, grad


def _listnet_lists(data: RankingData, relevance: str, mean, sd):
    X, y, mask = data.as_padded()
    X = np.where(mask[..., None], (X - mean) / sd, 0.0)
    if relevance == "binary1":
        y = (y >= 1).astype(np.float64)
    elif relevance == "binary2":
        y = (y >= 2).astype(np.float64)
    keep = (np.where(mask, y, 0.0) > 0).any(axis=1)
    # Drop the padding columns no kept list needs.
    width = int(mask[keep].sum(axis=1).max())
    return X[keep, :width], y[keep, :width], mask[keep, :width], int((~keep).sum())


def train_listnet_linear(
    data_train,
    data_test,
    *,
    target="linear",
    relevance="graded",
    epochs=100,
    lr=0.01,
    l2=1e-2,
    ties="pessimistic",
    seed=0,
) -> TrainLog:
    """Train a linear ranker ``s = w . x`` with the ListNet loss, logging loss, metrics and bounds.

    Features are standardised with the training rows' mean and standard deviation (constant
    features are left centred). Labels are used as graded (``relevance="graded"``) or binarised
    at ``label >= 1`` (``"binary1"``) or ``label >= 2`` (``"binary2"``). Lists without a relevant
    item have no ListNet target: they are skipped in training and in the logs, and counted in
    ``info``. Each epoch is one full-batch Adam step on :func:`listnet_linear_objective`, starting
    from ``w ~ N(0, 0.01^2)`` drawn from ``seed``.

    Logged per epoch (``split`` in ``train``, ``test``): ``{split}_loss`` (mean ListNet loss,
    without the L2 penalty), ``{split}_rr``, ``{split}_ndcg``, ``{split}_ndcg@10``,
    ``{split}_ap`` (means over lists; NDCG uses the exponential gain when
    ``target="exponential"``, else the linear gain) and ``{split}_neglog_<metric>`` =
    ``-log(mean metric)``. With binary relevance and the linear target,
    ``neglog_rr``, ``neglog_ndcg`` and ``neglog_ap`` are at most ``loss`` at every epoch
    (:prf:ref:`thm-rr-bound`, :prf:ref:`thm-ndcg-bound`, :prf:ref:`thm-ap-bound`, then Jensen);
    NDCG@10 has no such bound.

    Parameters
    ----------
    data_train, data_test : RankingData
    target : {"linear", "exponential", "softmax"}
    relevance : {"graded", "binary1", "binary2"}
    epochs : int >= 0
    lr : float > 0
        Adam step size.
    l2 : float >= 0
        Weight of ``l2/2 * ||w||^2``.
    ties : {"pessimistic", "optimistic", "stable", "average"}
        Tie policy of the logged metrics.
    seed : int >= 0 or numpy.random.Generator

    Returns
    -------
    TrainLog
        ``params``: ``w`` (in standardised units), ``mean``, ``scale``; ``info``: settings,
        ``n_lists_train``, ``n_lists_test``, ``n_skipped_train``, ``n_skipped_test``.

    Examples
    --------
    >>> from rankbound.datasets import load_mslr_sample
    >>> log = train_listnet_linear(load_mslr_sample("train"), load_mslr_sample("test"),
    ...                            relevance="binary1", epochs=5)
    >>> bool((log["train_neglog_rr"] <= log["train_loss"]).all())
    True
    """
    func = "train_listnet_linear"
    for name, data in (("data_train", data_train), ("data_test", data_test)):
        if not isinstance(data, RankingData):
            raise TypeError(f"{func}: {name!r} must be a RankingData; got {type(data).__name__}")
    if data_test.n_features != data_train.n_features:
        raise ValueError(
            f"{func}: 'data_test' must have the {data_train.n_features} features of 'data_train'; "
            f"got {data_test.n_features}"
        )
    check_option(func, "target", target, TARGETS)
    check_option(func, "relevance", relevance, RELEVANCE)
    check_option(func, "ties", ties, TIE_POLICIES)
    epochs = check_int(func, "epochs", epochs, minimum=0)
    lr = check_positive_float(func, "lr", lr)
    l2 = check_real(func, "l2", l2, low=0.0)
    rng = check_seed(func, seed)

    mean = data_train.features.mean(axis=0)
    sd = data_train.features.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    Xtr, ytr, mtr, skip_tr = _listnet_lists(data_train, relevance, mean, sd)
    Xte, yte, mte, skip_te = _listnet_lists(data_test, relevance, mean, sd)
    if ytr.shape[0] == 0:
        raise ValueError(
            f"{func}: 'data_train' has no list with a relevant item under relevance={relevance!r}"
        )
    gain = "exponential" if target == "exponential" else "linear"

    params = {"w": rng.normal(scale=0.01, size=Xtr.shape[2])}
    adam = _Adam(params, lr)
    records = []
    for epoch in range(epochs + 1):
        w = params["w"]
        _, grad = _listnet_objective(w, Xtr, ytr, mtr, target, l2)
        rec = {"epoch": float(epoch)}
        for split, X, y, m in (("train", Xtr, ytr, mtr), ("test", Xte, yte, mte)):
            if y.shape[0] == 0:
                continue
            s = X @ w
            rec[f"{split}_loss"] = float(
                np.mean(softmax_cross_entropy(y, s, target=target, mask=m))
            )
            rec.update(_mean_metrics(f"{split}_", y, s, m, gain=gain, ties=ties))
        records.append(rec)
        if epoch < epochs:
            adam.step(params, {"w": grad})
    info = {
        "target": target,
        "relevance": relevance,
        "epochs": epochs,
        "lr": lr,
        "l2": l2,
        "ties": ties,
        "ndcg_gain": gain,
        "n_lists_train": int(ytr.shape[0]),
        "n_lists_test": int(yte.shape[0]),
        "n_skipped_train": skip_tr,
        "n_skipped_test": skip_te,
    }
    return TrainLog(
        history=_stack(records),
        params={"w": params["w"].copy(), "mean": mean, "scale": sd},
        info=info,
    )


# --- linear embedding with proxies or in-batch InfoNCE ---------------------------------------


def _normalise(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norm = np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
    return v / norm, norm


def _normalise_backward(g: np.ndarray, u: np.ndarray, norm: np.ndarray) -> np.ndarray:
    """Pull a gradient back through ``u = v / ||v||``: ``(g - (g . u) u) / ||v||``."""
    return (g - (g * u).sum(axis=-1, keepdims=True) * u) / norm


def _same_class(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels (same class, 1.0) and mask (not the anchor itself) of the in-batch lists."""
    same = (y[:, None] == y[None, :]).astype(np.float64)
    others = ~np.eye(y.size, dtype=bool)
    return np.where(others, same, 0.0), others


def embedding_objective(W, proxies, X, y, *, loss="normface", scale=16.0, margin=None):
    r"""Mean loss of the linear embedding ``e = normalise(W x)`` and its gradients.

    Proxy losses (``"normface"``, ``"cosface"``, ``"arcface"``): with normalised proxies
    ``q_c = P_c / ||P_c||`` and cosines ``cos_ic = e_i . q_c``, the loss of item ``i`` is
    ``softmax_cross_entropy(onehot(y_i), margin_logits(cos_i, y_i))``. ``"infonce"``: the anchor
    ``i`` ranks the other items ``j`` by ``e_i . e_j`` with temperature ``1/scale``, the items of
    its class being positive (:func:`~rankbound.losses.info_nce`); ``proxies`` is ignored and its
    gradient is zero.

    The gradient follows the chain ``dl/dz = p - t``
    (:func:`~rankbound.softmax_cross_entropy_gradient`),
    ``dz/dcos`` (``s``, or ArcFace's ``s d cos(theta + m) / d cos(theta)`` at the target), the
    bilinear cosines, and the normalisations ``u = v/||v||`` (``du = (I - u u^T) dv / ||v||``).

    Parameters
    ----------
    W : array of shape (dim, d)
    proxies : array of shape (C, dim)
    X : array of shape (N, d)
    y : int array of shape (N,), values in [0, C)
    loss : {"normface", "cosface", "arcface", "infonce"}
    scale : float > 0
    margin : float >= 0, optional (see :func:`~rankbound.losses.margin_logits`)

    Returns
    -------
    value : float
    grad_W : ndarray of shape (dim, d)
    grad_proxies : ndarray of shape (C, dim)
    """
    func = "embedding_objective"
    check_option(func, "loss", loss, EMBEDDING_LOSSES)
    scale = check_positive_float(func, "scale", scale)
    W = check_matrix(func, "W", W)
    proxies = check_matrix(func, "proxies", proxies)
    X = check_matrix(func, "X", X)
    if X.shape[1] != W.shape[1] or proxies.shape[1] != W.shape[0]:
        raise ValueError(
            f"{func}: shapes must chain as X (N, d), W (dim, d), proxies (C, dim); "
            f"got X {X.shape}, "
            f"W {W.shape}, proxies {proxies.shape}"
        )
    y = check_indices(func, "y", y, shape=(X.shape[0],), upper=proxies.shape[0])
    if loss in MARGIN_KINDS:
        _, _, _, _, margin = _check_margin_args(func, np.zeros(1), 0, loss, scale, margin)
    elif margin is not None:
        raise ValueError(f"{func}: 'margin' must be None for loss='infonce'; got {margin!r}")
    return _embedding_objective(W, proxies, X, y, loss, scale, margin)


def _embedding_objective(W, proxies, X, y, loss, scale, margin):
    V = X @ W.T
    E, e_norm = _normalise(V)
    n = X.shape[0]
    grad_P = np.zeros_like(proxies)
    if loss == "infonce":
        labels, others = _same_class(y)
        S = E @ E.T
        T = 1.0 / scale
        value = float(np.mean(info_nce(labels, S, temperature=T, mask=others)))
        G = softmax_cross_entropy_gradient(labels, S, temperature=T, mask=others) / n
        grad_E = (G + G.T) @ E
    else:
        Q, p_norm = _normalise(proxies)
        cos = np.clip(E @ Q.T, -1.0, 1.0)
        logits, t_slope = _margin_logits_2d(cos, y, loss, scale, margin)
        rows = np.arange(n)
        onehot = np.zeros_like(logits)
        onehot[rows, y] = 1.0
        value = float(np.mean(softmax_cross_entropy(onehot, logits)))
        G = softmax_cross_entropy_gradient(onehot, logits) / n
        dcos = G * scale  # dz_j / dcos_j = s off the target
        dcos[rows, y] = G[rows, y] * t_slope  # and s * d(target cosine) / dcos_y at it
        grad_E = dcos @ Q
        grad_P = _normalise_backward(dcos.T @ E, Q, p_norm)
    grad_W = _normalise_backward(grad_E, E, e_norm).T @ X
    return value, grad_W, grad_P


def _split(y: np.ndarray, test_fraction: float, rng: np.random.Generator):
    """Stratified split: in each class, a share ``test_fraction`` (rounded) goes to the test set."""
    test = np.zeros(y.size, dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        k = int(round(test_fraction * idx.size))
        test[rng.permutation(idx)[:k]] = True
    return np.flatnonzero(~test), np.flatnonzero(test)


def _retrieval_lists(y: np.ndarray, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels (same class as the query) and mask (not the query itself) of each query's list."""
    labels = (y[queries][:, None] == y[None, :]).astype(np.float64)
    others = np.ones(labels.shape, dtype=bool)
    others[np.arange(queries.size), queries] = False
    return np.where(others, labels, 0.0), others


def _retrieval_metrics(
    prefix: str, E: np.ndarray, y: np.ndarray, queries: np.ndarray, ties: str
) -> dict[str, float]:
    labels, others = _retrieval_lists(y, queries)
    res = _mean_metrics(
        prefix, labels, E[queries] @ E.T, others, gain="linear", ties=ties, cutoff=False
    )
    return res


def _proxy_rr(
    prefix: str, E: np.ndarray, y: np.ndarray, Q: np.ndarray, ties: str
) -> dict[str, float]:
    onehot = np.zeros((y.size, Q.shape[0]))
    onehot[np.arange(y.size), y] = 1.0
    mean = float(np.mean(reciprocal_rank(onehot, E @ Q.T, ties=ties)))
    return {f"{prefix}proxy_rr": mean, f"{prefix}neglog_proxy_rr": -np.log(mean)}


def train_embedding(
    X,
    y,
    *,
    loss="normface",
    dim=16,
    epochs=30,
    lr=0.05,
    scale=16.0,
    margin=None,
    test_fraction=0.5,
    eval_queries=200,
    ties="pessimistic",
    seed=0,
) -> TrainLog:
    """Train a linear embedding ``e = normalise(W x)`` for retrieval, logging loss and metrics.

    The data are split (stratified by class, from ``seed``) into a training and a test part.
    Proxy losses learn one proxy per class: NormFace, CosFace or ArcFace logits
    (:func:`~rankbound.losses.margin_logits`) with a one-hot softmax cross-entropy. ``"infonce"``
    uses the whole training part as one batch: each item is an anchor whose candidates are the
    other items, those of its class positive, at temperature ``1/scale``. Each epoch is one
    full-batch Adam step on :func:`embedding_objective`.

    Logged per epoch: ``loss`` (mean training loss); for ``split`` in ``train``, ``test``:
    ``{split}_rr``, ``{split}_ap``, ``{split}_ndcg`` — retrieval inside the split: each of
    ``eval_queries`` fixed queries (drawn once from ``seed``) against every other item of the
    split, same class relevant, ranked by cosine — with ``{split}_neglog_<metric>``; and
    ``{split}_proxy_rr`` — the reciprocal rank of each item's class among the proxies ranked by
    cosine, over all items of the split (for InfoNCE the proxies are the normalised class means
    of the training embeddings) — with ``{split}_neglog_proxy_rr``. For InfoNCE also
    ``train_query_loss``, the mean InfoNCE loss of the training queries over the same lists.

    Bounds that hold at every epoch (:prf:ref:`thm-rr-bound`, then Jensen): for the proxy losses
    ``train_neglog_proxy_rr <= loss`` (a margin only raises the loss); for InfoNCE
    ``train_neglog_rr <= train_query_loss``.

    Parameters
    ----------
    X : array of shape (N, d)
    y : int array of shape (N,)
        Class labels; every class needs at least two training items.
    loss : {"normface", "cosface", "arcface", "infonce"}
    dim : int >= 1
    epochs : int >= 0
    lr : float > 0
    scale : float > 0
        ``s`` of the margin logits; ``1/temperature`` for InfoNCE.
    margin : float >= 0, optional
        See :func:`~rankbound.losses.margin_logits` (not used by NormFace and InfoNCE).
    test_fraction : float in (0, 1)
    eval_queries : int >= 1 or None
        Queries per split for the retrieval metrics (all items when None or when the split is
        smaller): sorting an N x N similarity matrix every epoch would dominate the run time.
    ties : {"pessimistic", "optimistic", "stable", "average"}
    seed : int >= 0 or numpy.random.Generator

    Returns
    -------
    TrainLog
        ``params``: ``W`` (dim, d) and ``proxies`` (C, dim; class means for InfoNCE);
        ``info``: settings and the train/test indices.

    Examples
    --------
    >>> from rankbound.datasets import load_digits_retrieval
    >>> X, y = load_digits_retrieval()
    >>> log = train_embedding(X[:300], y[:300], epochs=5)
    >>> bool((log["train_neglog_proxy_rr"] <= log["loss"]).all())
    True
    """
    func = "train_embedding"
    X = check_matrix(func, "X", X)
    check_option(func, "loss", loss, EMBEDDING_LOSSES)
    check_option(func, "ties", ties, TIE_POLICIES)
    y_arr = np.asarray(y)
    if y_arr.dtype.kind not in "iu":
        raise TypeError(
            f"{func}: 'y' must be an integer array of class labels; got dtype {y_arr.dtype}"
        )
    y = check_indices(
        func, "y", y_arr, shape=(X.shape[0],), upper=int(y_arr.max()) + 1 if y_arr.size else 1
    )
    dim = check_int(func, "dim", dim)
    epochs = check_int(func, "epochs", epochs, minimum=0)
    lr = check_positive_float(func, "lr", lr)
    scale = check_positive_float(func, "scale", scale)
    if loss in MARGIN_KINDS:
        _, _, _, _, margin = _check_margin_args(func, np.zeros(1), 0, loss, scale, margin)
    elif margin is not None:
        raise ValueError(f"{func}: 'margin' must be None for loss='infonce'; got {margin!r}")
    test_fraction = check_real(
        func, "test_fraction", test_fraction, low=0.0, high=1.0, low_open=True, high_open=True
    )
    if eval_queries is not None:
        eval_queries = check_int(func, "eval_queries", eval_queries)
    rng = check_seed(func, seed)

    n_classes = int(y.max()) + 1
    train_idx, test_idx = _split(y, test_fraction, rng)
    counts = np.bincount(y[train_idx], minlength=n_classes)
    if counts.min() < 2:
        raise ValueError(
            f"{func}: every class needs at least 2 training items; "
            f"got {int(counts.min())} for class "
            f"{int(np.argmin(counts))} (lower 'test_fraction' or pass more data)"
        )
    Xtr, ytr, Xte, yte = X[train_idx], y[train_idx], X[test_idx], y[test_idx]
    queries = {
        split: np.sort(rng.permutation(n)[:eval_queries])
        if eval_queries is not None
        else np.arange(n)
        for split, n in (("train", ytr.size), ("test", yte.size))
    }
    params = {
        "W": rng.normal(scale=1.0 / np.sqrt(X.shape[1]), size=(dim, X.shape[1])),
        "proxies": rng.normal(size=(n_classes, dim)),
    }
    adam = _Adam(params, lr)
    records = []
    for epoch in range(epochs + 1):
        value, gW, gP = _embedding_objective(
            params["W"], params["proxies"], Xtr, ytr, loss, scale, margin
        )
        Etr, _ = _normalise(Xtr @ params["W"].T)
        Ete, _ = _normalise(Xte @ params["W"].T)
        if loss == "infonce":
            Q, _ = _normalise(np.stack([Etr[ytr == c].mean(axis=0) for c in range(n_classes)]))
        else:
            Q, _ = _normalise(params["proxies"])
        rec = {"epoch": float(epoch), "loss": value}
        for split, E, lab in (("train", Etr, ytr), ("test", Ete, yte)):
            rec.update(_retrieval_metrics(f"{split}_", E, lab, queries[split], ties))
            rec.update(_proxy_rr(f"{split}_", E, lab, Q, ties))
        if loss == "infonce":
            labels, others = _retrieval_lists(ytr, queries["train"])
            sims = Etr[queries["train"]] @ Etr.T
            rec["train_query_loss"] = float(
                np.mean(info_nce(labels, sims, temperature=1.0 / scale, mask=others))
            )
        records.append(rec)
        if epoch < epochs:
            grads = {"W": gW} if loss == "infonce" else {"W": gW, "proxies": gP}
            adam.step(params, grads)
    proxies = Q if loss == "infonce" else params["proxies"].copy()
    info = {
        "loss": loss,
        "dim": dim,
        "epochs": epochs,
        "lr": lr,
        "scale": scale,
        "margin": margin,
        "ties": ties,
        "train_index": train_idx,
        "test_index": test_idx,
        "train_queries": queries["train"],
        "test_queries": queries["test"],
    }
    return TrainLog(
        history=_stack(records), params={"W": params["W"].copy(), "proxies": proxies}, info=info
    )
