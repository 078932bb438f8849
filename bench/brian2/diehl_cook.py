"""Diehl & Cook (2015) training in Brian2: spikerate's network and protocol, for bench/run's speed
comparison and for comparing what the two learn.

The network and its parameters are spikerate's defaults (sim/train/diehl_cook_2015.cpp, which
follows the authors' released code; data/scenarios/README.md, [spiking.<name>]):
  784 Poisson inputs, rate = pixel (0-1) x 63.75 Hz for 350 ms, then 150 ms without input;
  n_exc excitatory neurons (tau_m 100 ms, E_L -65 mV, V_reset -65 mV, t_ref 5 ms, E_e 0,
  E_i -100 mV, tau_ge 1 ms, tau_gi 2 ms, initial V -105 mV), threshold V >= V_th + theta with
  V_th = -72 mV and theta from 20 mV (the released code's V > theta - 20 mV - 52 mV), theta +=
  0.05 mV per spike, decaying with tau_theta = 1e7 ms;
  n_exc inhibitory neurons (tau_m 10 ms, E_L -60, V_reset -45, threshold -40 mV, t_ref 2 ms,
  E_i -85 mV, initial V -100 mV);
  input -> exc all-to-all, weights (U(0,1) + 0.01) x 0.3, delays U(0, 10 ms), nearest-spike
  triplet STDP (pre: x_pre = 1, w -= 1e-4 x_post1; post: w += 1e-2 x_pre x_post2 (before it
  is set), x_post1 = x_post2 = 1; tau 20 / 20 / 40 ms), w in [0, 1];
  exc -> inh one-to-one 10.4, inh -> exc all but self 17.0, delay 0 (Brian2's default);
  conductances in units of g_L; dt = 0.5 ms.
Integration: spikerate's default exponential Euler (models/lif_cond.cpp): conductances and
theta decay exactly, V relaxes exactly towards its equilibrium under the conductances' averages
over the step. Brian2 has no such method, so it is given here as a state updater (a callable
returning Brian2's abstract code); --integration euler or rk4 use Brian2's own.

Protocol, as issue 7 asks for the standalone reference: the whole training is one run; the
inputs come from a TimedArray of 50 ms rows (7 rows of the digit, 3 of silence per example);
before every example each excitatory neuron's input weights are scaled to sum 78 by regular
operations (run_regularly every 500 ms); there is no retry rule (spikerate's
max_presentations = 1). Examples in data-set order from --first-example (spikerate's
task.shuffle = false).

--mode runtime runs the same network in Brian2's runtime mode (Cython) the way the released
code does: one run() per presentation and per rest, rates and normalisation set from Python in
between. Its seconds per example exclude the first example (code generation and compilation).

Prints one JSON line (timings as in bench/brian2/common.py; spikes per example; final theta)
and, with --out FILE.h5, writes for comparison with a spikerate run of the same protocol:
  exc_spikes_per_example  uint32 [examples]       excitatory spikes during each presentation
  exc_counts              uint32 [examples, n_exc] the same per neuron
  spikes/exc/timestamps   float64 [n] (ms, Brian2's step start), spikes/exc/node_ids uint64 [n]
  receptive_fields        float32 [n_exc, 784]    final input weights (spikerate's report layout)
  initial_receptive_fields float32 [n_exc, 784]   before the first normalisation
  theta_mV                float32 [n_exc]         final theta (from 20 mV, as spikerate's)
  labels                  uint8 [examples]        the examples' labels
and the options as attributes.

    /usr/bin/python3 bench/brian2/diehl_cook.py --n-exc 100 --examples 300 --out build/bench/dc100.h5
"""
import argparse
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
sys.path.insert(1, str(pathlib.Path(__file__).resolve().parent.parent))
import common  # noqa: E402
from idx import read_idx  # noqa: E402

N_INPUT = 784
PRESENTATION_MS, REST_MS, ROW_MS = 350.0, 150.0, 50.0
EXAMPLE_MS = PRESENTATION_MS + REST_MS
INPUT_RATE_HZ = 63.75  # per pixel of value 1 at the start intensity
WEIGHT_SUM = 78.0

EXC = dict(tau_m=100.0, E_L=-65.0, V_reset=-65.0, V_th=-72.0, t_ref=5.0, E_e=0.0, E_i=-100.0,
           tau_e=1.0, tau_i=2.0, V0=-105.0, theta0=20.0, theta_plus=0.05, tau_theta=1e7)
INH = dict(tau_m=10.0, E_L=-60.0, V_reset=-45.0, V_th=-40.0, t_ref=2.0, E_e=0.0, E_i=-85.0,
           tau_e=1.0, tau_i=2.0, V0=-100.0)
STDP = dict(nu_pre=1e-4, nu_post=1e-2, tau_pre=20.0, tau_post1=20.0, tau_post2=40.0,
            w_min=0.0, w_max=1.0)
EXC_INH_W, INH_EXC_W = 10.4, 17.0


def exponential_euler(p, theta):
    """spikerate's exponential-Euler step (models/lif_cond.cpp) as Brian2 abstract code."""
    def updater(equations, variables=None, method_options=None):
        code = f"""
        _mean_e = {p['tau_e']!r}*ms/dt * (1 - exp(-dt/({p['tau_e']!r}*ms)))
        _mean_i = {p['tau_i']!r}*ms/dt * (1 - exp(-dt/({p['tau_i']!r}*ms)))
        _g_total = 1 + ge*_mean_e + gi*_mean_i
        _v_inf = ({p['E_L']!r}*mV + ge*_mean_e*{p['E_e']!r}*mV + gi*_mean_i*{p['E_i']!r}*mV) / _g_total
        v = _v_inf + (v - _v_inf)*exp(-dt*_g_total/({p['tau_m']!r}*ms))
        ge = ge*exp(-dt/({p['tau_e']!r}*ms))
        gi = gi*exp(-dt/({p['tau_i']!r}*ms))
        """
        if theta:
            code += f"theta = theta*exp(-dt/({p['tau_theta']!r}*ms))\n"
        return "\n".join(line.strip() for line in code.strip().splitlines())
    updater.__name__ = "spikerate_exponential_euler"
    return updater


def build_network(b, args, n_examples, images):
    """The network; images [n_examples, 784] in [0, 1]. Returns (objects, exc, inh, S, input)."""
    clamp = " (unless refractory)"
    exc_eqs = f"""
    dv/dt = ((({EXC['E_L']!r}*mV - v) + ge*({EXC['E_e']!r}*mV - v) + gi*({EXC['E_i']!r}*mV - v))
             / ({EXC['tau_m']!r}*ms)) : volt{clamp if args.refractory == 'clamp' else ''}
    dge/dt = -ge/({EXC['tau_e']!r}*ms) : 1
    dgi/dt = -gi/({EXC['tau_i']!r}*ms) : 1
    dtheta/dt = -theta/({EXC['tau_theta']!r}*ms) : volt
    wsum : 1
    """
    inh_eqs = f"""
    dv/dt = ((({INH['E_L']!r}*mV - v) + ge*({INH['E_e']!r}*mV - v) + gi*({INH['E_i']!r}*mV - v))
             / ({INH['tau_m']!r}*ms)) : volt (unless refractory)
    dge/dt = -ge/({INH['tau_e']!r}*ms) : 1
    dgi/dt = -gi/({INH['tau_i']!r}*ms) : 1
    """
    method_exc = method_inh = args.integration
    if args.integration == "exponential_euler":
        method_exc, method_inh = exponential_euler(EXC, True), exponential_euler(INH, False)
    exc = b.NeuronGroup(args.n_exc, exc_eqs, threshold=f"v >= {EXC['V_th']!r}*mV + theta",
                        reset=f"v = {EXC['V_reset']!r}*mV; theta += {EXC['theta_plus']!r}*mV",
                        refractory=EXC["t_ref"] * b.ms, method=method_exc, name="exc")
    inh = b.NeuronGroup(args.n_exc, inh_eqs, threshold=f"v >= {INH['V_th']!r}*mV",
                        reset=f"v = {INH['V_reset']!r}*mV", refractory=INH["t_ref"] * b.ms,
                        method=method_inh, name="inh")
    exc.v = EXC["V0"] * b.mV
    exc.theta = EXC["theta0"] * b.mV
    inh.v = INH["V0"] * b.mV

    objects = [exc, inh]
    if args.mode == "standalone":
        rows_per_example = int(EXAMPLE_MS / ROW_MS)
        on_rows = int(PRESENTATION_MS / ROW_MS)
        rates = np.zeros((n_examples * rows_per_example, N_INPUT))
        for k in range(n_examples):
            rates[k * rows_per_example:k * rows_per_example + on_rows] = images[k] * INPUT_RATE_HZ
        stimulus = b.TimedArray(rates * b.Hz, dt=ROW_MS * b.ms, name="stimulus")
        source = b.PoissonGroup(N_INPUT, rates="stimulus(t, i)", name="input",
                                namespace={"stimulus": stimulus})
    else:
        source = b.PoissonGroup(N_INPUT, rates=np.zeros(N_INPUT) * b.Hz, name="input")
    objects.append(source)

    s = STDP
    syn = b.Synapses(source, exc, model=f"""
        w : 1
        dapre/dt = -apre/({s['tau_pre']!r}*ms) : 1 (event-driven)
        dapost1/dt = -apost1/({s['tau_post1']!r}*ms) : 1 (event-driven)
        dapost2/dt = -apost2/({s['tau_post2']!r}*ms) : 1 (event-driven)
        """, on_pre=f"""
        ge_post += w
        apre = 1
        w = clip(w - {s['nu_pre']!r}*apost1, {s['w_min']!r}, {s['w_max']!r})
        """, on_post=f"""
        w = clip(w + {s['nu_post']!r}*apre*apost2, {s['w_min']!r}, {s['w_max']!r})
        apost1 = 1
        apost2 = 1
        """, name="input_exc")
    syn.connect(True)
    syn.w = "(rand() + 0.01) * 0.3"
    syn.delay = "rand() * 10*ms"
    exc_inh = b.Synapses(exc, inh, on_pre=f"ge_post += {EXC_INH_W!r}", name="exc_inh")
    exc_inh.connect(j="i")
    inh_exc = b.Synapses(inh, exc, on_pre=f"gi_post += {INH_EXC_W!r}", name="inh_exc")
    inh_exc.connect(condition="i != j")
    objects += [syn, exc_inh, inh_exc]

    if args.mode == "standalone":
        # Normalisation before every example: sum each neuron's input weights, then scale them.
        every = EXAMPLE_MS * b.ms
        objects.append(exc.run_regularly("wsum = 0", dt=every, when="start", order=0,
                                         name="normalise_zero"))
        objects.append(syn.run_regularly("wsum_post += w", dt=every, when="start", order=1,
                                         name="normalise_sum"))
        objects.append(syn.run_regularly(f"w = w * {WEIGHT_SUM!r} / wsum_post", dt=every,
                                         when="start", order=2, name="normalise_scale"))
    return objects, exc, inh, syn, source


def spikes_per_example(i, t_ms, n_examples, n_exc):
    example = np.floor(t_ms / EXAMPLE_MS).astype(np.int64)
    shown = (t_ms - example * EXAMPLE_MS) < PRESENTATION_MS
    counts = np.zeros((n_examples, n_exc), dtype=np.uint32)
    np.add.at(counts, (example[shown], i[shown]), 1)
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-exc", type=int, default=100)
    parser.add_argument("--examples", type=int, default=300)
    parser.add_argument("--first-example", type=int, default=0,
                        help="index of the first training example (data-set order)")
    parser.add_argument("--mnist", default=str(common.ROOT / "data/cache/mnist"))
    parser.add_argument("--mode", choices=["standalone", "runtime"], default="standalone")
    parser.add_argument("--integration", choices=["exponential_euler", "euler", "rk4"],
                        default="exponential_euler")
    parser.add_argument("--refractory", choices=["clamp", "free"], default="clamp",
                        help="excitatory V during t_ref: held at V_reset (spikerate's default, "
                             "Brian2's 'unless refractory') or integrated with spikes blocked")
    common.standard_arguments(parser, "diehl_cook")
    args = parser.parse_args()
    started = time.perf_counter()

    images = read_idx(f"{args.mnist}/train-images-idx3-ubyte", 3)
    labels = read_idx(f"{args.mnist}/train-labels-idx1-ubyte", 1)
    chosen = np.arange(args.first_example, args.first_example + args.examples) % len(images)
    x = images[chosen].reshape(args.examples, N_INPUT).astype(np.float64) / 255.0

    import brian2 as b
    common.quiet_brian()
    name = f"diehl_cook_{args.n_exc}"
    if args.mode == "standalone":
        common.use_standalone(common.directory_for(args, name), args.threads)
    else:
        b.prefs.codegen.target = "cython"
        b.prefs.logging.file_log = False
    b.defaultclock.dt = 0.5 * b.ms
    b.seed(args.seed)

    objects, exc, inh, syn, source = build_network(b, args, args.examples, x)
    monitor = b.SpikeMonitor(exc, name="exc_spikes")
    initial_w = b.StateMonitor(syn, "w", record=np.arange(N_INPUT * args.n_exc), when="start", order=-1,
                               dt=args.examples * EXAMPLE_MS * b.ms,
                               name="initial_w") if args.out else None
    network = b.Network(objects + [monitor] + ([initial_w] if initial_w is not None else []))

    result = {"mode": args.mode, "n_exc": args.n_exc, "examples": args.examples,
              "first_example": args.first_example, "seed": args.seed, "dt_ms": 0.5,
              "integration": args.integration, "refractory": args.refractory}
    if args.mode == "standalone":
        network.run(args.examples * EXAMPLE_MS * b.ms)
        result.update(common.build_and_run(common.directory_for(args, name), started))
        result["s_per_example"] = result["run_s"] / args.examples
    else:
        example_s = []
        for k in range(args.examples):
            start = time.perf_counter()
            weights = np.asarray(syn.w[:])
            targets = np.asarray(syn.j[:])
            sums = np.bincount(targets, weights=weights, minlength=args.n_exc)
            syn.w[:] = weights * (WEIGHT_SUM / sums)[targets]
            source.rates = x[k] * INPUT_RATE_HZ * b.Hz
            network.run(PRESENTATION_MS * b.ms)
            source.rates = 0 * b.Hz
            network.run(REST_MS * b.ms)
            example_s.append(time.perf_counter() - start)
            print(f"runtime mode: example {k + 1}/{args.examples}: {example_s[-1]:.2f} s",
                  file=sys.stderr)
        timed = example_s[1:] or example_s
        result.update({"first_example_s": example_s[0], "example_s": example_s,
                       "s_per_example": float(np.median(timed)),
                       "brian2_version": b.__version__, "threads": 1,
                       "codegen_s": 0.0, "compile_s": example_s[0] - float(np.median(timed))})
        import resource
        result["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    i = np.asarray(monitor.i[:], dtype=np.uint64)
    t_ms = np.asarray(monitor.t[:] / b.ms, dtype=np.float64)
    counts = spikes_per_example(i.astype(np.int64), t_ms, args.examples, args.n_exc)
    per_example = counts.sum(axis=1)
    theta_mV = np.asarray(exc.theta[:] / b.mV)
    result.update({
        "exc_spikes": int(per_example.sum()),
        "exc_spikes_per_example": float(per_example.mean()),
        "exc_spikes_per_example_first_half": float(per_example[:max(1, args.examples // 2)].mean()),
        "exc_spikes_per_example_second_half": float(per_example[args.examples // 2:].mean())
        if args.examples > 1 else float(per_example.mean()),
        "examples_below_5_spikes": int((per_example < 5).sum()),
        "theta_mV_median": float(np.median(theta_mV)),
    })
    if args.out:
        import h5py
        pre, post = np.asarray(syn.i[:]), np.asarray(syn.j[:])
        w = np.zeros((N_INPUT, args.n_exc))
        w[pre, post] = np.asarray(syn.w[:])
        w0 = np.zeros((N_INPUT, args.n_exc))
        w0[pre, post] = np.asarray(initial_w.w[:, 0])
        pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with h5py.File(args.out, "w") as f:
            for key, value in result.items():
                if isinstance(value, (int, float, str)):
                    f.attrs[key] = value
            f["exc_spikes_per_example"] = per_example.astype(np.uint32)
            f["exc_counts"] = counts
            f["spikes/exc/timestamps"] = t_ms
            f["spikes/exc/timestamps"].attrs["units"] = "ms"
            f["spikes/exc/node_ids"] = i
            f["receptive_fields"] = w.T.astype(np.float32)
            f["initial_receptive_fields"] = w0.T.astype(np.float32)
            f["theta_mV"] = theta_mV.astype(np.float32)
            f["labels"] = labels[chosen].astype(np.uint8)
        result["out"] = str(args.out)
    common.report(result)


if __name__ == "__main__":
    main()
