"""Extra reference cases for lrsched's optax and Keras built-ins, from the real libraries.

Draws random keyword sets (seeded, so the output is reproducible) for every optax and Keras
schedule lrsched implements, beyond tests/golden/libraries-jax.json: fractional horizons
and boundaries, transition_begin, staircase, end_value caps, key collisions, and values the
libraries reject. Each case is evaluated as tests/golden/README-jax.md describes (optax at a
jnp.int32 count cast to float32, and at a jnp.int64 count with jax_enable_x64 for lr_x64;
Keras at optimizer.iterations = k), and written in the golden file's shape.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install optax==0.2.8 jax==0.10.2 \
        jaxlib==0.10.2 keras==3.15.1 numpy==2.4.6
    KERAS_BACKEND=numpy /tmp/venv/bin/python scripts/jax_oracle.py > tests/oracle/jax-extra.json
"""

import json
import math
import os
import random
import subprocess
import sys

os.environ.setdefault("KERAS_BACKEND", "numpy")

SEED = 20261130
CASES = 160


def draw(rng):
    """One (library, name, keywords, steps) tuple."""

    def num(lo, hi, whole=0.3):
        if rng.random() < whole:
            return rng.randint(math.ceil(lo), math.floor(hi))
        return round(rng.uniform(lo, hi), rng.choice([1, 2, 3]))

    def level():
        return rng.choice([0.0, 1.0, 0.1, 3e-4, round(rng.uniform(0, 1), 4)])

    def scales():
        return {
            rng.choice([rng.randint(0, 60), round(rng.uniform(0, 60), 1)]): rng.choice(
                [0.5, 0.1, 2.0, 0.0, round(rng.uniform(0, 3), 3)]
            )
            for _ in range(rng.randint(0, 3))
        }

    lib = rng.choice(["optax", "optax", "keras"])
    if lib == "optax":
        name = rng.choice(
            "constant_schedule linear_schedule polynomial_schedule cosine_decay_schedule "
            "exponential_decay piecewise_constant_schedule piecewise_interpolate_schedule "
            "warmup_constant_schedule warmup_cosine_decay_schedule "
            "warmup_exponential_decay_schedule cosine_onecycle_schedule "
            "linear_onecycle_schedule".split()
        )
        if name == "constant_schedule":
            kw = dict(value=level())
        elif name in ("linear_schedule", "polynomial_schedule"):
            kw = dict(init_value=level(), end_value=level(), transition_steps=num(-3, 60))
            if name == "polynomial_schedule":
                kw["power"] = rng.choice([1, 2, 3, 0.5, 2.0, 1.5, 0])
            if rng.random() < 0.5:
                kw["transition_begin"] = rng.choice([rng.randint(-3, 20), 2.5])
        elif name == "cosine_decay_schedule":
            kw = dict(init_value=level(), decay_steps=num(0.5, 60))
            if rng.random() < 0.5:
                kw["alpha"] = rng.choice([0.0, 0.1, round(rng.uniform(0, 1), 3)])
            if rng.random() < 0.5:
                kw["exponent"] = rng.choice([1.0, 2.0, 2, 3, 0.5])
        elif name in ("exponential_decay", "warmup_exponential_decay_schedule"):
            kw = dict(init_value=level())
            if name != "exponential_decay":
                kw.update(peak_value=level(), warmup_steps=rng.choice([0, 5, 12, 2.5]))
            kw.update(
                transition_steps=num(-2, 30),
                decay_rate=rng.choice([0.5, 0.9, 1.2, 0.0, round(rng.uniform(0, 1.3), 3)]),
            )
            if rng.random() < 0.5:
                kw["transition_begin"] = rng.choice([rng.randint(-3, 30), 4.5])
            if rng.random() < 0.5:
                kw["staircase"] = rng.random() < 0.5
            if rng.random() < 0.5:
                kw["end_value"] = rng.choice([0.01, 0.5, 2.0, round(rng.uniform(0, 2), 3)])
        elif name == "piecewise_constant_schedule":
            kw = dict(init_value=level())
            if rng.random() < 0.8:
                kw["boundaries_and_scales"] = scales()
        elif name == "piecewise_interpolate_schedule":
            kw = dict(interpolate_type=rng.choice(["linear", "cosine"]), init_value=level())
            if rng.random() < 0.8:
                kw["boundaries_and_scales"] = scales()
        elif name == "warmup_constant_schedule":
            kw = dict(init_value=level(), peak_value=level(), warmup_steps=num(0, 30))
        elif name == "warmup_cosine_decay_schedule":
            w = num(0, 20)
            kw = dict(
                init_value=level(),
                peak_value=level(),
                warmup_steps=w,
                decay_steps=rng.choice([w + rng.randint(1, 60), w - 1, w]),
            )
            if rng.random() < 0.5:
                kw["end_value"] = rng.choice([0.0, 1e-5, round(rng.uniform(0, 1), 3)])
            if rng.random() < 0.3:
                kw["exponent"] = rng.choice([2.0, 2, 0.5])
        else:
            kw = dict(transition_steps=num(-1, 80, 0.7), peak_value=level())
            if rng.random() < 0.5:
                kw["pct_start"] = rng.choice([0.3, 0.29, 0.5, round(rng.uniform(0, 1), 2)])
            if name == "linear_onecycle_schedule" and rng.random() < 0.5:
                kw["pct_final"] = rng.choice([0.85, 0.57, round(rng.uniform(0, 1), 2)])
            if rng.random() < 0.5:
                kw["div_factor"] = rng.choice([25.0, 10.0, 0.0, round(rng.uniform(1, 50), 2)])
            if rng.random() < 0.5:
                kw["final_div_factor"] = rng.choice([1e4, 100.0, round(rng.uniform(1, 1e4), 1)])
    else:
        name = rng.choice(
            "CosineDecay CosineDecayRestarts ExponentialDecay InverseTimeDecay "
            "PiecewiseConstantDecay PolynomialDecay".split()
        )
        lr = rng.choice([1.0, 0.1, 0.0003, round(rng.uniform(0.0001, 1), 4)])
        if name == "CosineDecay":
            kw = dict(initial_learning_rate=lr, decay_steps=num(-1, 60))
            if rng.random() < 0.5:
                kw["alpha"] = rng.choice([0.0, 0.1, round(rng.uniform(0, 1), 3)])
            if rng.random() < 0.5:
                kw["warmup_target"] = level()
                if rng.random() < 0.7:
                    kw["warmup_steps"] = num(0, 20)
        elif name == "CosineDecayRestarts":
            kw = dict(initial_learning_rate=lr, first_decay_steps=num(-1, 20))
            if rng.random() < 0.6:
                kw["t_mul"] = rng.choice([1.0, 1.5, 2.0, 3.0, round(rng.uniform(1, 3), 2)])
            if rng.random() < 0.6:
                kw["m_mul"] = rng.choice([1.0, 0.8, round(rng.uniform(0, 1), 2)])
            if rng.random() < 0.5:
                kw["alpha"] = rng.choice([0.0, 0.1, round(rng.uniform(0, 1), 3)])
        elif name in ("ExponentialDecay", "InverseTimeDecay"):
            kw = dict(
                initial_learning_rate=lr,
                decay_steps=num(-1, 40),
                decay_rate=rng.choice([0.5, 0.96, 1.1, round(rng.uniform(0, 2), 3)]),
            )
            if rng.random() < 0.5:
                kw["staircase"] = rng.random() < 0.5
        elif name == "PiecewiseConstantDecay":
            n = rng.randint(0, 4)
            bounds = sorted(rng.sample(range(0, 60), n))
            if n and rng.random() < 0.3:
                bounds[0] += 0.5
            values = [round(rng.uniform(0, 1), 4) for _ in range(n + 1)]
            if rng.random() < 0.15:
                values = values[:-1] or [0.1, 0.2]
            kw = dict(boundaries=bounds, values=values)
        else:
            kw = dict(initial_learning_rate=lr, decay_steps=rng.choice([num(-1, 40), rng.randint(1, 40)]))
            if rng.random() < 0.5:
                kw["end_learning_rate"] = rng.choice([0.0, 1e-4, 0.01, round(rng.uniform(0, 1), 3)])
            if rng.random() < 0.5:
                kw["power"] = rng.choice([1.0, 2.0, 0.5, round(rng.uniform(0.1, 3), 2)])
            if rng.random() < 0.5:
                kw["cycle"] = rng.random() < 0.5
    return lib, name, kw, rng.choice([10, 40, 100])


def text(v):
    """A keyword value as lrsched's --set reads it (the golden README's spelling)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return ",".join(f"{k}:{text(s)}" for k, s in v.items())
    if isinstance(v, list):
        return ",".join(text(s) for s in v)
    return repr(v)


def call(lib, name, kw):
    args = ", ".join(f"{k}={v!r}" for k, v in kw.items())
    prefix = "optax" if lib == "optax" else "keras.optimizers.schedules"
    return f"{prefix}.{name}({args})"


def evaluate(lib, python, steps, x64):
    """The lrs of one call, or the exception text."""
    import jax
    import jax.numpy as jnp
    import keras  # noqa: F401
    import optax  # noqa: F401

    try:
        sched = eval(python)
        if lib == "optax":
            count = jnp.int64 if x64 else jnp.int32
            dtype = jnp.float64 if x64 else jnp.float32
            return [
                float(jnp.array(sched(jnp.asarray(k, count)), dtype=dtype)) for k in range(steps)
            ]
        opt = keras.optimizers.SGD(learning_rate=sched)
        out = []
        for k in range(steps):
            opt.iterations.assign(k)
            out.append(float(opt.learning_rate))
        return out
    except Exception as e:  # the library's own refusal
        return f"{type(e).__name__}: {e}"


def main():
    if sys.argv[1:] == ["--x64"]:
        import jax

        jax.config.update("jax_enable_x64", True)
        todo = json.load(sys.stdin)
        json.dump([evaluate("optax", p, s, True) for p, s in todo], sys.stdout)
        return
    import jax
    import keras
    import numpy
    import optax

    rng = random.Random(SEED)
    cases, errors = [], []
    for i in range(CASES):
        lib, name, kw, steps = draw(rng)
        python = call(lib, name, kw)
        args = ["--schedule", f"{lib}:{name}", "--steps", str(steps), "--base-lr", "1"]
        for k, v in kw.items():
            args += ["--set", f"{k}={text(v)}"]
        case = {"id": f"extra-{i:03d}-{lib}-{name}", "library": lib, "python": python, "args": args}
        lr = evaluate(lib, python, steps, False)
        if isinstance(lr, str):
            errors.append({**case, "error": lr})
            continue
        if not all(math.isfinite(v) for v in lr):
            continue  # JSON has no inf or NaN
        cases.append({**case, "steps": steps, "lr": lr})
    todo = [(c["python"], c["steps"]) for c in cases if c["library"] == "optax"]
    x64 = json.loads(
        subprocess.run(
            [sys.executable, __file__, "--x64"],
            input=json.dumps(todo),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    for case in (c for c in cases if c["library"] == "optax"):
        case["lr_x64"] = x64.pop(0)
    generated_by = {
        "script": "scripts/jax_oracle.py",
        "seed": SEED,
        "optax": optax.__version__,
        "jax": jax.__version__,
        "keras": keras.__version__,
        "keras_backend": keras.backend.backend(),
        "numpy": numpy.__version__,
        "python": sys.version.split()[0],
    }
    json.dump({"generated_by": generated_by, "cases": cases, "errors": errors}, sys.stdout, indent=0)
    print()


if __name__ == "__main__":
    main()
