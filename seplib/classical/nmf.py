r"""Non-negative matrix factorisation (NMF) of magnitude spectrograms, in torch.

A magnitude spectrogram :math:`V \in \mathbb R_{\ge 0}^{F \times T}` is approximated by
:math:`V \approx WH`: the columns of :math:`W` (``(freqs, components)``) are spectral
templates, the rows of :math:`H` (``(components, frames)``) say when and how loud each
template sounds. Lee and Seung's multiplicative updates never increase the cost:

* Euclidean :math:`D = \tfrac12\|V - WH\|^2`:
  :math:`H \leftarrow H \odot \frac{W^\top V}{W^\top W H}`,
  :math:`W \leftarrow W \odot \frac{V H^\top}{W H H^\top}`
* Kullback-Leibler :math:`D = \sum V \log\frac{V}{WH} - V + WH`:
  :math:`H \leftarrow H \odot \frac{W^\top (V / WH)}{W^\top \mathbf 1}`,
  :math:`W \leftarrow W \odot \frac{(V / WH) H^\top}{\mathbf 1 H^\top}`

A zero in :math:`W` stays zero under these updates, which the band-limited pipeline uses.

Separation: group the components into stems (unsupervised, :func:`separate_nmf`) or learn
one dictionary per stem on training data (supervised, :func:`separate_nmf_supervised`),
then give each stem the soft mask
:math:`M_j = (W_j H_j)^p / \sum_i (W_i H_i)^p`. :math:`W_j H_j` models the stem's magnitude,
so :math:`p = 1` is a ratio of magnitudes (the IRM's form, the default here) and
:math:`p = 2` a ratio of powers (the Wiener form).

Taught in: 04_nmf
"""
from __future__ import annotations

import hashlib
import json

import numpy as np
import torch

from ..stems import RATE, STEMS

from .. import config, methods, sizes
from ..masking import masks_in_blocks
from ..spectral import HOP, N_FFT
from . import channel_sum_magnitude, spectrogram
from ..config import device as default_device
from ..data import track_stems
from ..data.musdb import dataset_name, open_dataset, root_and_size
from ..audio import at_rate
from ..data.musdb import root_and_size

BETAS = ("euclidean", "kl")
"""The two costs :func:`nmf` knows."""
EPS = 1e-10

def settings(size=None, run=None):
    """The NMF sizes of a run size: ``n_components`` and ``n_iter`` to separate a song, and for
    the supervised dictionaries the templates per stem (``dict_components``), learning
    iterations (``dict_iter``) and seconds of each training song (``dict_seconds``).

    They are the ``nmf`` part of the run size's row of :data:`seplib.sizes.TABLE`. Learning the
    dictionaries is the slow part: seconds at ``quick``, about four minutes on one CPU core at
    ``lab`` (then cached).

    Args:
        size (str): ``quick``, ``lab`` or ``full`` (default: ``run.size``, else
            :func:`seplib.config.run_size`)
        run (:class:`seplib.run.Run`): the run context

    Returns:
        settings (dict): a copy (change it freely)

    Taught in: 04_nmf
    """
    return sizes.of("nmf", size, run)


def nmf_cost(V, WH, beta="kl", constant=None):
    r"""The NMF cost :math:`D(V \,|\, WH)`.

    Args:
        V (torch.Tensor): ``(freqs, frames)`` non-negative
        WH (torch.Tensor): ``(freqs, frames)`` the model
        beta (str): ``"euclidean"`` (:math:`\tfrac12\|V-WH\|^2`) or ``"kl"`` (generalised
            Kullback-Leibler divergence)
        constant (float): for ``"kl"``, :math:`\sum V\log V - V` if already computed (it does
            not depend on the model)

    Returns:
        cost (float)

    Taught in: 04_nmf
    """
    if beta == "euclidean":
        return 0.5 * float(((V - WH) ** 2).sum(dtype=torch.float64))
    if beta == "kl":
        if constant is None:
            constant = float((torch.xlogy(V, V) - V).sum(dtype=torch.float64))
        return constant + float((WH - V * torch.log(WH + EPS)).sum(dtype=torch.float64))
    raise ValueError(f"beta must be one of {BETAS}, got {beta!r}")


def update_h(V, W, H, beta="kl", WH=None):
    """One multiplicative update of the activations ``H`` (``W`` fixed).

    Args:
        V (torch.Tensor): ``(freqs, frames)``
        W (torch.Tensor): ``(freqs, components)``
        H (torch.Tensor): ``(components, frames)``
        beta (str): ``"euclidean"`` or ``"kl"``
        WH (torch.Tensor): ``W @ H`` if already computed

    Returns:
        H (torch.Tensor): ``(components, frames)``, updated

    Taught in: 04_nmf
    """
    WH = W @ H if WH is None else WH
    if beta == "euclidean":
        return H * (W.T @ V) / (W.T @ WH + EPS)
    return H * (W.T @ (V / (WH + EPS))) / (W.sum(0)[:, None] + EPS)


def update_w(V, W, H, beta="kl", WH=None):
    """One multiplicative update of the templates ``W`` (``H`` fixed).

    Args:
        V (torch.Tensor): ``(freqs, frames)``
        W (torch.Tensor): ``(freqs, components)``
        H (torch.Tensor): ``(components, frames)``
        beta (str): ``"euclidean"`` or ``"kl"``
        WH (torch.Tensor): ``W @ H`` if already computed

    Returns:
        W (torch.Tensor): ``(freqs, components)``, updated

    Taught in: 04_nmf
    """
    WH = W @ H if WH is None else WH
    if beta == "euclidean":
        return W * (V @ H.T) / (WH @ H.T + EPS)
    return W * ((V / (WH + EPS)) @ H.T) / (H.sum(1)[None, :] + EPS)


def nmf(V, n_components=None, beta="kl", n_iter=100, W=None, H=None, update_templates=True,
        seed=0, device=None, progress=False):
    r"""Factorise :math:`V \approx WH` by multiplicative updates.

    Initialisation is seeded: uniform random values scaled to the data's mean, unless
    ``W`` / ``H`` are given. With ``update_templates=False`` only ``H`` is fitted (the
    supervised case). After each iteration the columns of ``W`` are scaled to unit sum and
    the rows of ``H`` inversely (``WH`` and the cost do not change), so templates compare.
    The products are formed :data:`NMF_FRAMES` frames at a time in two reused buffers (the same
    updates as :func:`update_h` and :func:`update_w`): memory beyond ``V`` stays small and the
    time grows linearly with the number of frames.

    Args:
        V (np.ndarray or torch.Tensor): ``(freqs, frames)`` non-negative
        n_components (int): :math:`K` (not needed when ``W`` is given)
        beta (str): ``"euclidean"`` or ``"kl"``
        n_iter (int): iterations
        W (array): ``(freqs, components)`` initial (or fixed) templates
        H (array): ``(components, frames)`` initial activations
        update_templates (bool): also update ``W``
        seed (int): seed of the random initialisation
        device (torch.device): default :func:`seplib.config.device`
        progress (bool): show a tqdm bar

    Returns:
        W (torch.Tensor): ``(freqs, components)``
        H (torch.Tensor): ``(components, frames)``
        costs (list of float): ``n_iter + 1`` values, before the first iteration and after
        each; never increasing (up to float rounding)

    Taught in: 04_nmf
    """
    from tqdm.auto import tqdm


    if beta not in BETAS:
        raise ValueError(f"beta must be one of {BETAS}, got {beta!r}")
    device = device or default_device()
    V = torch.as_tensor(np.asarray(V) if not torch.is_tensor(V) else V, dtype=torch.float32).to(device)
    if V.ndim != 2 or bool(V.min() < 0):
        raise ValueError(f"V must be a non-negative (freqs, frames) matrix, got shape {tuple(V.shape)}")
    generator = torch.Generator().manual_seed(seed)
    scale = float(V.mean()) + EPS
    if W is None:
        if n_components is None:
            raise ValueError("give n_components or an initial W")
        W = torch.rand(V.shape[0], n_components, generator=generator) + 0.1
    else:
        W = torch.as_tensor(np.asarray(W) if not torch.is_tensor(W) else W, dtype=torch.float32)
    K = W.shape[1]
    if H is None:
        H = (torch.rand(K, V.shape[1], generator=generator) + 0.1) * scale
    else:
        H = torch.as_tensor(np.asarray(H) if not torch.is_tensor(H) else H, dtype=torch.float32)
    W, H = W.to(device), H.to(device).clone()  # H is updated in place: never the caller's
    if H.shape != (K, V.shape[1]) or W.shape[0] != V.shape[0]:
        raise ValueError(f"shapes do not fit: V {tuple(V.shape)}, W {tuple(W.shape)}, H {tuple(H.shape)}")
    frames = V.shape[1]
    blocks = [slice(start, min(start + NMF_FRAMES, frames)) for start in range(0, frames, NMF_FRAMES)]
    # KL: sum(V log V - V) does not change; computed once, a block at a time
    constant = sum(_sum64(torch.xlogy(V[:, f], V[:, f]).sub_(V[:, f])) for f in blocks) if beta == "kl" else None
    work = [torch.empty(V.shape[0] * (blocks[0].stop - blocks[0].start), device=device) for _ in range(2)]
    costs = []
    for _ in tqdm(range(n_iter), desc=f"NMF ({beta})", disable=not progress, leave=False):
        costs.append(_update_h_in_blocks(V, W, H, beta, constant, blocks, work))
        if update_templates:
            W = _update_w_in_blocks(V, W, H, beta, blocks, work)
            norm = W.sum(0).clamp_min(EPS)
            W.div_(norm)
            H.mul_(norm[:, None])
    costs.append(_update_h_in_blocks(V, W, H, beta, constant, blocks, work, update=False))
    return W, H, costs


NMF_FRAMES = 2048
"""Frames whose products :func:`nmf` forms at a time: a block's ``W @ H`` is 17 MB of float32
(2049 bins), however long the song."""


def _update_h_in_blocks(V, W, H, beta, constant, blocks, work, update=True):
    """The cost of ``W @ H``, then :func:`update_h` in place, one block of frames at a time.

    A frame's activations are updated from that frame alone, so the blocks give the
    whole-matrix update. The block's products live in the two ``work`` buffers, so no
    ``(freqs, frames)`` matrix of the whole song is ever made (a 10-minute song's is 212 MB,
    and every one made and freed costs fresh memory pages: the time grew faster than the song).
    """
    WH, R = work
    cost = 0.0 if beta == "euclidean" else constant
    column_sums = W.sum(0)[:, None] + EPS  # (components, 1)
    for f in blocks:
        wh, r, v = _block_of(WH, len(V), f), _block_of(R, len(V), f), V[:, f]
        torch.mm(W, H[:, f], out=wh)  # (freqs, block)
        if beta == "euclidean":  # cost 1/2 ||V - WH||^2; H *= W'V / W'WH
            cost += 0.5 * _sum64(torch.sub(v, wh, out=r).square_())
            if update:
                H[:, f] = H[:, f] * (W.T @ v) / (W.T @ wh + EPS)
        else:  # cost sum(WH - V log WH) + constant; H *= W'(V / WH) / W'1
            torch.add(wh, EPS, out=r).log_().mul_(v)
            cost += _sum64(wh) - _sum64(r)
            if update:
                torch.div(v, torch.add(wh, EPS, out=r), out=r)
                H[:, f] = H[:, f] * (W.T @ r) / column_sums
    return cost


def _update_w_in_blocks(V, W, H, beta, blocks, work):
    """:func:`update_w`, with its sums over frames made one block of frames at a time."""
    WH, R = work
    numerator = torch.zeros_like(W)  # (freqs, components)
    denominator = torch.zeros_like(W) if beta == "euclidean" else H.sum(1)[None, :]
    for f in blocks:
        wh, r, v = _block_of(WH, len(V), f), _block_of(R, len(V), f), V[:, f]
        torch.mm(W, H[:, f], out=wh)  # (freqs, block)
        if beta == "euclidean":  # W *= VH' / WHH'
            numerator.addmm_(v, H[:, f].T)
            denominator.addmm_(wh, H[:, f].T)
        else:  # W *= (V / WH) H' / 1H'
            numerator.addmm_(torch.div(v, torch.add(wh, EPS, out=r), out=r), H[:, f].T)
    return W * numerator / (denominator + EPS)


def _sum64(x):
    """The sum of a float32 tensor, accumulated in float64 (on the CPU by numpy, which casts a
    few thousand values at a time: torch would first copy the whole block to float64)."""
    if x.device.type == "cpu":
        return float(x.numpy().sum(dtype=np.float64))
    return float(x.sum(dtype=torch.float64))


def _block_of(buffer, freqs, frames):
    """A contiguous ``(freqs, len(frames))`` view of a flat work buffer."""
    n = frames.stop - frames.start
    return buffer[:freqs * n].view(freqs, n)


def stack_channels(V):
    """Put the channels of a spectrogram side by side along time: one matrix for NMF.

    Args:
        V (np.ndarray): ``(channels, freqs, frames)``

    Returns:
        V (np.ndarray): ``(freqs, channels * frames)``

    Taught in: 04_nmf
    """
    return np.concatenate(list(V), axis=-1)


def group_masks(W, H, groups, power=1.0):
    r"""Soft masks from groups of components: :math:`M_j = (W_j H_j)^p / \sum_i (W_i H_i)^p`.

    ``power=1`` gives ratio masks of the stems' magnitude models (the IRM's form),
    ``power=2`` ratios of their powers (the Wiener form).

    Args:
        W (torch.Tensor): ``(freqs, components)``
        H (torch.Tensor): ``(components, frames)``
        groups (dict): ``{stem: list of component indices}``
        power (float): :math:`p`

    Returns:
        masks (dict): ``{stem: (freqs, frames)}`` float32 torch tensors on the CPU, summing to
        one over the stems (a stem with no component gets zeros); they broadcast over channels

    Taught in: 04_nmf
    """
    models = {}
    for stem, idx in groups.items():
        idx = torch.as_tensor(list(idx), dtype=torch.long, device=W.device)
        models[stem] = (W[:, idx] @ H[idx]) ** power if len(idx) else torch.zeros(W.shape[0], H.shape[1], device=W.device)
    total = sum(models.values()) + EPS
    return {stem: (m / total).cpu() for stem, m in models.items()}


def mono_magnitude(V):
    """The channel average of a magnitude spectrogram: what separation-time NMF factorises.

    One factorisation for all channels halves the work on stereo; the masks it gives are
    shared by the channels.

    Args:
        V (np.ndarray): ``(channels, freqs, frames)``

    Returns:
        V (np.ndarray): ``(freqs, frames)``

    Taught in: 04_nmf
    """
    return np.asarray(V).reshape(-1, *np.shape(V)[-2:]).mean(0)


# --------------------------------------------------------------------------------------------
# Unsupervised: one NMF of the mixture, components grouped by a heuristic
# --------------------------------------------------------------------------------------------
def component_features(W, H, rate, n_fft=N_FFT):
    r"""Descriptors of each component used to guess its stem.

    * ``centroid``: spectral centroid of the template, Hz;
    * ``low``: the template's share of energy below 200 Hz;
    * ``flatness``: spectral flatness of the template (geometric over arithmetic mean, 1 for
      white noise, near 0 for a few harmonics);
    * ``attack``: how impulsive the activation is: the energy of its frame-to-frame rises
      over its total energy (large for hits, small for held notes).

    Args:
        W (torch.Tensor): ``(freqs, components)``
        H (torch.Tensor): ``(components, frames)``
        rate (int), n_fft (int): to express frequencies in Hz

    Returns:
        features (dict): name -> ``(components,)`` numpy array

    Taught in: 04_nmf
    """
    W = W.double().cpu().numpy() + EPS
    H = H.double().cpu().numpy()
    hz = np.arange(W.shape[0]) * rate / n_fft
    energy = W ** 2
    rises = np.maximum(np.diff(H, axis=1), 0)
    return {
        "centroid": (hz[:, None] * W).sum(0) / W.sum(0),
        "low": energy[hz < 200].sum(0) / energy.sum(0),
        "flatness": np.exp(np.log(W).mean(0)) / W.mean(0),
        "attack": (rises ** 2).sum(1) / ((H ** 2).sum(1) + EPS),
    }


def group_components(features, bass_share=0.5, drum_flatness=0.3, drum_attack=0.15,
                     vocal_band=(300.0, 3000.0)):
    """Assign each component to a stem with simple rules, in this order.

    1. most of its energy below 200 Hz -> ``bass``;
    2. a noise-like template (``flatness > drum_flatness``) or an impulsive activation
       (``attack > drum_attack``) -> ``drums``;
    3. a spectral centroid in ``vocal_band`` -> ``vocals``;
    4. anything else -> ``other``.

    These rules are a guess, not knowledge: a kick drum is also low, a piano note also
    starts with an attack, and a lead synth lives in the vocal band. They are here to show
    what unsupervised NMF lacks (a way to know which component is whose), which the
    supervised variant and the models of notebooks 05-07 supply.

    Args:
        features (dict): from :func:`component_features`
        bass_share (float), drum_flatness (float), drum_attack (float): thresholds
        vocal_band (tuple): ``(low, high)`` in Hz

    Returns:
        groups (dict): ``{stem: list of component indices}`` for the four stems

    Taught in: 04_nmf
    """
    groups = {stem: [] for stem in STEMS}
    for i in range(len(features["centroid"])):
        if features["low"][i] > bass_share:
            stem = "bass"
        elif features["flatness"][i] > drum_flatness or features["attack"][i] > drum_attack:
            stem = "drums"
        elif vocal_band[0] <= features["centroid"][i] <= vocal_band[1]:
            stem = "vocals"
        else:
            stem = "other"
        groups[stem].append(i)
    return groups


@methods.register("nmf", family="classical", taught_in="04_nmf",
                  description="unsupervised NMF, components grouped into stems by a heuristic")
def separate_nmf(mixture, rate, n_components=32, beta="kl", n_iter=100, power=1.0, seed=0,
                 n_fft=N_FFT, hop=HOP, device=None):
    """Unsupervised NMF separation: factorise the mixture, group components into stems.

    The grouping is the heuristic of :func:`group_components`; expect it to be weak.

    Args:
        mixture (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz
        n_components (int): NMF components
        beta (str): ``"euclidean"`` or ``"kl"``
        n_iter (int): iterations
        power (float): exponent of the masks (1: ratio of magnitudes, 2: Wiener form)
        seed (int): initialisation seed
        n_fft (int), hop (int): STFT frame length and hop
        device (torch.device): default :func:`seplib.config.device`

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` for the four stems, summing to
        the mixture

    Taught in: 04_nmf
    """
    V = _mono_magnitude_of(mixture, n_fft, hop)
    W, H, _ = nmf(V, n_components, beta, n_iter, seed=seed, device=device)
    del V
    groups = group_components(component_features(W, H, rate, n_fft))
    return _masked_in_blocks(mixture, W, H, groups, power, "other", n_fft, hop)


def _mono_magnitude_of(mixture, n_fft=N_FFT, hop=HOP):
    """:func:`mono_magnitude` of the mixture's spectrogram, one channel's STFT at a time.

    The same values as ``mono_magnitude(spectrogram(mixture)[1])``, without holding the complex
    STFT or the magnitude of every channel at once (a 10-minute stereo song: 1.3 GB less).
    """
    total = channel_sum_magnitude(mixture, n_fft, hop)
    return np.divide(total, len(mixture), out=total)


def _masked_in_blocks(mixture, W, H, groups, power, rest, n_fft=N_FFT, hop=HOP):
    """:func:`group_masks` applied to the mixture, one channel and one block of frames at a time.

    A frame's masks depend only on that frame's activations, so building them a block of
    frames at a time (:func:`seplib.masking.masks_in_blocks`) gives the whole-song result;
    the masks of the whole song are never held. ``rest`` is the mixture minus the other stems,
    as in :func:`seplib.masking.masks_to_waveforms`.
    """
    def masks_of(channel, frames, V):  # the same masks for every channel
        masks = group_masks(W, H[:, frames], groups, power)
        del masks[rest]
        return masks

    return masks_in_blocks(mixture, masks_of, rest, n_fft, hop)


# --------------------------------------------------------------------------------------------
# Supervised: one dictionary per stem, learned on the training split
# --------------------------------------------------------------------------------------------
def learn_dictionaries(stem_spectrograms, n_components=32, beta="kl", n_iter=100, seed=0,
                       device=None, progress=False):
    """Learn one NMF dictionary per stem from that stem's magnitude spectrograms.

    Args:
        stem_spectrograms (dict): ``{stem: (freqs, frames)}`` training magnitudes (frames of
            many songs side by side)
        n_components (int): templates per stem
        beta (str), n_iter (int), seed (int), device: as in :func:`nmf`
        progress (bool): show a bar per stem

    Returns:
        dictionaries (dict): ``{stem: (freqs, n_components)}`` float32 CPU tensors

    Taught in: 04_nmf
    """
    out = {}
    for i, (stem, V) in enumerate(stem_spectrograms.items()):
        W, _, _ = nmf(V, n_components, beta, n_iter, seed=seed + i, device=device, progress=progress)
        out[stem] = W.cpu()
    return out


def training_spectrograms(tracks, seconds=30.0, n_fft=N_FFT, hop=HOP, stems=STEMS, seed=0):
    """Magnitude spectrograms of each stem over the training tracks (an excerpt of each).

    Args:
        tracks (list): musdb tracks (the training split)
        seconds (float): length of the excerpt taken from each track (a seeded random start)
        n_fft (int), hop (int): STFT frame length and hop
        stems (tuple): which stems
        seed (int): seed of the excerpt starts

    Returns:
        spectrograms (dict): ``{stem: (freqs, frames)}`` numpy float32, channels and tracks
        side by side along time

    Taught in: 04_nmf
    """

    rng = np.random.default_rng(seed)
    parts = {stem: [] for stem in stems}
    for track in tracks:
        audio = track_stems(track, stems)
        length = next(iter(audio.values())).shape[-1]
        size = min(length, int(seconds * track.rate))
        start = int(rng.integers(0, length - size + 1))
        for stem, x in audio.items():
            _, V = spectrogram(x[:, start:start + size], n_fft, hop)
            parts[stem].append(stack_channels(V))
    return {stem: np.concatenate(p, axis=-1) for stem, p in parts.items()}


def dictionary_path(dataset, params):
    """Where learned dictionaries are cached: with the data set's models,
    ``<config.models_dir(dataset)>/nmf/<hash of params>.pt``.

    Args:
        dataset (str): data set name, e.g. ``synth-lab`` (:func:`seplib.data.dataset_name`)
        params (dict): everything that changes the dictionaries

    Returns:
        path (Path)

    Taught in: 04_nmf
    """

    key = hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:10]
    return config.models_dir(dataset) / "nmf" / f"{key}.pt"


def supervised_dictionaries(root=None, size=None, n_components=None, beta="kl", n_iter=None,
                            seconds=None, n_fft=N_FFT, hop=HOP, seed=0, device=None, progress=True, run=None):
    """The per-stem dictionaries of a data set's training split: learned once, then cached.

    Args:
        root, size: which data set (as in :func:`seplib.data.open_dataset`); ``size`` also
            picks the defaults below (:func:`settings`)
        n_components (int): templates per stem (default: the size's ``dict_components``)
        beta (str), seed (int), device: as in :func:`nmf`
        n_iter (int): learning iterations (default: the size's ``dict_iter``)
        seconds (float): excerpt of each training track used (default: the size's ``dict_seconds``)
        n_fft (int), hop (int): STFT frame length and hop
        progress (bool): show progress while learning
        run (:class:`seplib.run.Run`): the run context: its data set and size stand in for
            ``root`` and ``size`` when they are not given

    Returns:
        dictionaries (dict): ``{stem: (freqs, n_components)}`` float32 tensors

    Taught in: 04_nmf
    """

    root, size = root_and_size(root, size, run)
    defaults = settings(size)
    n_components = n_components or defaults["dict_components"]
    n_iter = n_iter or defaults["dict_iter"]
    seconds = seconds or defaults["dict_seconds"]
    params = {"n_components": n_components, "beta": beta, "n_iter": n_iter, "seconds": seconds,
              "n_fft": n_fft, "hop": hop, "seed": seed}
    path = dictionary_path(dataset_name(root, size), params)
    with config.locked(path.with_name(".lock")):  # two notebooks at once: one learns, one waits
        if path.is_file():
            return torch.load(path, map_location="cpu")["dictionaries"]
        tracks = open_dataset("train", root=root, size=size)
        dictionaries = {}
        for i, stem in enumerate(STEMS):  # one stem's spectrograms in memory at a time (full: 1.7 GB each)
            spectrograms = training_spectrograms(tracks, seconds, n_fft, hop, stems=(stem,), seed=seed)
            learned = learn_dictionaries(spectrograms, n_components, beta, n_iter, seed + i, device, progress)
            dictionaries[stem] = learned[stem].cpu()  # as when read from the cache
            del spectrograms, learned
        tmp = path.with_name(path.name + ".part")  # write, then rename: no half files
        torch.save({"dictionaries": dictionaries, "params": params, "tracks": [t.name for t in tracks]}, tmp)
        tmp.replace(path)
    return dictionaries


@methods.register("nmf-supervised", family="classical", taught_in="04_nmf", takes_run=True,
                  description="NMF with per-stem dictionaries learned on the training split")
def separate_nmf_supervised(mixture, rate, dictionaries=None, root=None, size=None, n_components=None,
                            beta="kl", n_iter=100, power=1.0, n_fft=N_FFT, hop=HOP, seed=0, device=None,
                            run=None, dictionary_rate=None):
    r"""Supervised NMF separation: fixed per-stem dictionaries, activations fitted to the mixture.

    :math:`W = [W_{\mathrm{drums}}, W_{\mathrm{bass}}, \dots]` is fixed; only :math:`H` is
    fitted to the mixture; each stem gets :math:`M_j = (W_j H_j)^p / \sum_i (W_i H_i)^p`.

    Args:
        mixture (np.ndarray): ``(channels, samples)``
        rate (int): sample rate in Hz; a mixture at another rate than the dictionaries' is
            resampled to theirs and the stems back (with a warning naming both rates)
        dictionaries (dict): ``{stem: (freqs, components)}``; default: learned on the
            training split of the data set (``root``, ``size``) by
            :func:`supervised_dictionaries` and cached
        root, size: which data set's training split to learn from (and, by ``size``, the
            learning settings of :func:`settings`)
        n_components (int): templates per stem, when learning (default: the size's)
        beta (str): the cost, for learning and for fitting ``H``
        n_iter (int): iterations fitting ``H``
        power (float): exponent of the masks
        n_fft (int), hop (int): STFT frame length and hop (must match the dictionaries)
        seed (int), device: as in :func:`nmf`
        run (:class:`seplib.run.Run`): the run context (its data set and size stand in for
            ``root`` and ``size``; ``separate(..., run=run)`` passes it)
        dictionary_rate (int): the rate (Hz) of the songs the dictionaries were learned on;
            default: 44100 for those learned here (MUSDB18's rate), ``rate`` for ones you pass

    Returns:
        estimates (dict): ``{stem: (channels, samples)}`` for the dictionaries' stems, summing
        to the mixture

    Taught in: 04_nmf
    """
    if dictionaries is None:
        dictionaries = supervised_dictionaries(root, size, n_components, beta, n_fft=n_fft, hop=hop,
                                               seed=seed, device=device, run=run)
        dictionary_rate = dictionary_rate or RATE  # learned on the data set's 44.1 kHz songs
    if dictionary_rate and dictionary_rate != rate:  # spectra of another rate: resample in and out (warns)

        return at_rate(lambda x, r: separate_nmf_supervised(
            x, r, dictionaries, n_iter=n_iter, beta=beta, power=power, n_fft=n_fft, hop=hop, seed=seed,
            device=device), mixture, rate, dictionary_rate, "nmf-supervised")
    V = _mono_magnitude_of(mixture, n_fft, hop)[None]  # (1, freqs, frames)
    blocks = [torch.as_tensor(np.asarray(d) if not torch.is_tensor(d) else d, dtype=torch.float32)
              for d in dictionaries.values()]
    for stem, d in zip(dictionaries, blocks):
        if d.ndim != 2 or d.shape[0] != V.shape[1]:
            raise ValueError(f"dictionary {stem!r} has shape {tuple(d.shape)}; expected "
                             f"({V.shape[1]}, components) for n_fft={n_fft}")
    V = mono_magnitude(V)
    W, H, _ = nmf(V, W=torch.cat(blocks, dim=1), beta=beta, n_iter=n_iter,
                  update_templates=False, seed=seed, device=device)
    del V
    bounds = np.cumsum([0] + [d.shape[1] for d in blocks])
    groups = {stem: range(bounds[i], bounds[i + 1]) for i, stem in enumerate(dictionaries)}
    return _masked_in_blocks(mixture, W, H, groups, power, list(groups)[-1], n_fft, hop)


def method_kwargs(size=None, root=None, progress=False, run=None):
    """``separate()`` keyword arguments of the three NMF methods at a run size, so that
    notebooks and benchmarks run them alike; learns (or loads) the supervised dictionaries.

    Args:
        size (str): run size (default: ``run.size``, else :func:`seplib.config.run_size`), see
            :func:`settings`
        root: data set root whose training split the dictionaries come from
        progress (bool): show progress while learning the dictionaries
        run (:class:`seplib.run.Run`): the run context (its data set and size, for those not given)

    Returns:
        kwargs (dict): ``{"nmf": {...}, "nmf-supervised": {...}, "classical-nmf": {...}}``

    Taught in: 04_nmf
    """

    root, size = root_and_size(root, size, run)
    s = settings(size)
    dictionaries = supervised_dictionaries(root, size, progress=progress)
    return {"nmf": dict(n_components=s["n_components"], n_iter=s["n_iter"]),
            "nmf-supervised": dict(dictionaries=dictionaries, n_iter=s["n_iter"]),
            "classical-nmf": dict(n_iter=s["n_iter"])}
