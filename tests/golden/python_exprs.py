"""Golden values of pasted Python lr_lambdas, computed by CPython itself.

Writes python-exprs.json beside this file: for every source (hand-picked corner cases,
then random lambdas and defs over lrsched's Python subset, from a fixed seed), the
multiplier LambdaLR takes at each listed step -- float(value), as repr() prints it --
or the exception CPython raises there (None or a complex result count as TypeError,
since LambdaLR cannot multiply them into a learning rate).

Run with any CPython 3.10+:  python3 tests/golden/python_exprs.py
"""

import json
import math
import os
import random
import signal

STEPS = 3000  # lrsched's `steps` in every case
WARMUP = 0
BASE_LR = 0.1

# Hand-picked: ints past 2^53, -0.0, floor division and modulo of negative operands,
# round ties, and every exception.
CASES = [
    ("lambda step: step**5/1e15", {}, list(range(1545, 1560))),
    ("lambda step: -0.5*step", {}, [0, 1, 2]),
    ("lambda step: -step/steps", {}, [0, 1]),
    ("lambda step: 0.5*(1+math.cos(math.pi*step/steps))", {}, list(range(0, 3000, 97))),
    ("lambda step: min(1.0, step / 2000)", {}, [0, 1, 1999, 2000, 2001]),
    ("float(step) / float(max(1, warmup))", {}, [0, 1, 5]),
    ("step // 2", {}, [0, 1, 7]),
    ("1.0 if step < 5 else 0.5", {}, [0, 4, 5, 6]),
    ("math.cos(math.pi*step/steps)", {}, [0, 1500, 2999]),
    ("lambda s: (2**70 + s) / 3**40", {}, [0, 1, 2, 3]),
    ("lambda s: (2**53 + 1 + s) * 1.0", {}, [0, 1, 2]),
    ("lambda s: float(2**53 + s)", {}, [0, 1, 2, 3]),
    ("lambda s: (10**30 + s) // 7 / 10**29", {}, [0, 1]),
    ("lambda s: (s - 5) // 3 + (s - 5) % 3 / 10", {}, list(range(0, 11))),
    ("lambda s: (s - 5) // -3 + (s - 5) % -3 / 10", {}, list(range(0, 11))),
    ("lambda s: (s - 5.5) // 2 + (s - 5.5) % 2", {}, list(range(0, 11))),
    ("lambda s: (s - 5.5) // -2.5 + (s - 5.5) % -2.5", {}, list(range(0, 11))),
    ("lambda s: -0.0 % 3 + (0.0 // -3)", {}, [0]),
    ("lambda s: (s - 5) * 0.0", {}, [0, 5, 6]),
    ("lambda s: round(s / 2 - 2.5)", {}, list(range(0, 12))),
    ("lambda s: round(-s / 2)", {}, list(range(0, 6))),
    ("lambda s: int(-s / 3) + int(s / 3)", {}, list(range(0, 6))),
    ("lambda s: math.floor(-s / 2) + math.ceil(s / 3)", {}, list(range(0, 6))),
    ("lambda s: 1 / (s - 3)", {}, [2, 3, 4]),
    ("lambda s: 1 // (s - 3)", {}, [2, 3, 4]),
    ("lambda s: 1 % (s - 3)", {}, [2, 3, 4]),
    ("lambda s: 1.0 / (s - 3)", {}, [3]),
    ("lambda s: 1.0 // (s - 3)", {}, [3]),
    ("lambda s: 1.0 % (s - 3)", {}, [3]),
    ("lambda s: (s - 3) ** -1", {}, [2, 3, 4]),
    ("lambda s: (s - 3.0) ** -1", {}, [3]),
    ("lambda s: (s - 3) ** 0.5", {}, [2, 3, 4]),
    ("lambda s: math.sqrt(s - 3)", {}, [2, 3, 4]),
    ("lambda s: math.log(s)", {}, [0, 1, 2]),
    ("lambda s: math.log(s, 2)", {}, [1, 8, 1024]),
    ("lambda s: math.log(8, s)", {}, [0, 1, 2]),
    ("lambda s: math.log2(s) + math.log10(s + 1)", {}, [1, 99]),
    ("lambda s: math.log(2**2000 + s)", {}, [0, 1]),
    ("lambda s: math.exp(s)", {}, [0, 709, 710]),
    ("lambda s: 10.0 ** s", {}, [0, 308, 309]),
    ("lambda s: math.pow(10, s)", {}, [308, 309]),
    ("lambda s: math.pow(s - 2, 0.5)", {}, [1, 2, 3]),
    ("lambda s: math.pow(s - 2, -1)", {}, [2]),
    ("lambda s: 2.0 ** (s - 3) * 1.5 ** 2", {}, [0, 3, 5]),
    ("lambda s: (-1.5) ** s", {}, [0, 1, 2, 3]),
    ("lambda s: 0.9 ** (s // 10)", {}, [0, 9, 10, 95, 2999]),
    ("lambda s: 0.95 ** s", {}, [0, 1, 100, 2999]),
    ("lambda s: float(10**400 + s)", {}, [0]),
    ("lambda s: 10**400 / (s + 1)", {}, [0]),
    ("lambda s: (10**400 + s) / 10**399", {}, [0, 5]),
    ("lambda s: 1 / 10**400 * s", {}, [1]),
    ("lambda s: -1 / 10**400", {}, [0]),
    ("lambda s: 0 / -5 + s * 0", {}, [0]),
    ("lambda s: math.cos(math.inf * s)", {}, [0, 1]),
    ("lambda s: int(math.inf * s)", {}, [1]),
    ("lambda s: round(math.nan * s)", {}, [0]),
    ("lambda s: True + (s > 2)", {}, [0, 3]),
    ("lambda s: (s > 2) / 2", {}, [0, 3]),
    ("lambda s: 0 < s <= 3 < 10", {}, [0, 1, 3, 4]),
    ("lambda s: s and 1.5 / s or 2", {}, [0, 1, 2]),
    ("lambda s: not s", {}, [0, 1]),
    ("lambda s: min(s, 2.0) + max(1, s / 4)", {}, [0, 1, 4, 8]),
    ("lambda s: min(0, -0.0 * s) - max(-0.0, 0)", {}, [0, 1]),
    ("lambda s: abs(-0.0 * s) + abs(s - 3)", {}, [0, 1]),
    ("lambda s: pow(2, s) / pow(2.0, -s)", {}, [0, 3, 60, 70]),
    ("lambda s: 2 ** s / 3 ** s", {}, [0, 60, 100, 700]),
    ("lambda s: s ** 20 / 7 ** 20", {}, [0, 6, 7, 1000]),
    ("lambda s: (s * 2**62 + 2**62) // 2**61 / 4", {}, [0, 1, 2]),
    ("lambda s: math.tanh(s / 100) + math.atan(s)", {}, [0, 50]),
    ("lambda s: math.fabs(-s) + math.trunc(-s / 3)", {}, [0, 4]),
    ("lambda s: math.degrees(s) + math.radians(s)", {}, [0, 1]),
    ("lambda s: None if s > 2 else 1.0", {}, [0, 3]),
    ("lambda s: warmup_steps and s / warmup_steps", {"warmup_steps": "0"}, [0, 1]),
    ("lambda s: s / warmup_steps", {"warmup_steps": "500"}, [0, 250]),
    ("lambda s: s * decay", {"decay": "0.5"}, [0, 3]),
    ("lambda s: s * big", {"big": "10**20"}, [0, 3]),
    ("lambda s: s * neg", {"neg": "-3"}, [0, 3]),
    (
        "def warmup_lambda(current_step):\n"
        "    if current_step < warmup_steps:\n"
        "        return float(current_step) / float(max(1, warmup_steps))\n"
        "    return 1.0\n",
        {"warmup_steps": "2000"},
        [0, 1, 1000, 1999, 2000, 2999],
    ),
    (
        "def lr_lambda(current_step: int) -> float:\n"
        '    """Linear warmup, then cosine decay."""\n'
        "    # warmup first\n"
        "    if current_step < warmup_steps:  # linear\n"
        "        return float(current_step) / float(max(1, warmup_steps))\n"
        "    progress = float(current_step - warmup_steps) / float(max(1, steps - warmup_steps))\n"
        "    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * float(0.5) * 2.0 * progress)))\n",
        {"warmup_steps": "100"},
        [0, 50, 100, 1000, 2999],
    ),
    (
        "def f(step):\n"
        "    if step < 10:\n"
        "        x = 1\n"
        "    elif step < 20:\n"
        "        pass\n"
        "    else:\n"
        "        x = 0.5\n"
        "    return x\n",
        {},
        [0, 10, 20],
    ),
    (
        "def f(step):\n"
        "    if step < 10:\n"
        "        return 1.0\n",
        {},
        [0, 9, 10],
    ),
    (
        "def f(step):\n"
        "    step += 1\n"
        "    step *= 3\n"
        "    step //= 2\n"
        "    step -= 1\n"
        "    step **= 2\n"
        "    step %= 1000\n"
        "    step /= 7\n"
        "    return step\n",
        {},
        [0, 1, 2, 3, 100],
    ),
    (
        "def f(step, base=0.5, k: int = 3):\n"
        "    a: float = base ** k\n"
        "    b = a\n"
        "    if step % 2 == 0: return a\n"
        "    return b * step\n",
        {},
        [0, 1, 2, 3],
    ),
]

# Random sources over the subset.

NAMES = ["s"]
CONSTS = ["0", "1", "2", "3", "7", "10", "100", "2000", "0.5", "1.0", "0.1", "1e-3", "2.5",
          "-0.0", "10**20", "2**53", "3.0", "0.9", "1_000"]
FUNCS1 = ["abs", "round", "float", "int", "math.floor", "math.ceil", "math.cos", "math.sin",
          "math.exp", "math.log", "math.sqrt", "math.tanh", "math.log2", "math.log10",
          "math.fabs", "math.tan"]


def rand_expr(rng, depth, names):
    if depth <= 0 or rng.random() < 0.25:
        r = rng.random()
        if r < 0.45:
            return rng.choice(names)
        if r < 0.55:
            return rng.choice(["steps", "warmup", "base_lr", "math.pi", "k"])
        return rng.choice(CONSTS)
    r = rng.random()
    a = lambda: rand_expr(rng, depth - 1, names)
    if r < 0.40:
        op = rng.choice(["+", "-", "*", "/", "//", "%", "+", "*", "/"])
        return f"({a()} {op} {a()})"
    if r < 0.48:
        exponent = rng.choice(["2", "3", "0", "-1", "0.5", "0.9", "2.0", "-2", "7", "1.5"])
        return f"({a()} ** {exponent})"
    if r < 0.55:
        return f"({rng.choice(['-', '+', 'not '])}{a()})"
    if r < 0.72:
        f = rng.choice(FUNCS1)
        return f"{f}({a()})"
    if r < 0.80:
        f = rng.choice(["min", "max", "pow", "math.pow", "math.log"])
        if f in ("min", "max") and rng.random() < 0.4:
            return f"{f}({a()}, {a()}, {a()})"
        return f"{f}({a()}, {a()})"
    if r < 0.90:
        op = rng.choice(["<", "<=", ">", ">=", "==", "!="])
        return f"({a()} if {a()} {op} {a()} else {a()})"
    if r < 0.95:
        return f"({a()} {rng.choice(['and', 'or'])} {a()})"
    return f"({a()} {rng.choice(['<', '<=', '=='])} {a()} < {a()})"


def rand_def(rng):
    lines = ["def lr_lambda(s):"]
    local = ["s"]

    def block(indent, depth):
        out = []
        for _ in range(rng.randint(1, 3)):
            r = rng.random()
            pad = "    " * indent
            if r < 0.35:
                name = rng.choice(["a", "b", "s"])
                op = rng.choice(["=", "=", "+=", "*=", "-=", "/="])
                out.append(f"{pad}{name} {op} {rand_expr(rng, 2, local + ['a', 'b'])}")
                if name not in local and op == "=":
                    local.append(name)
            elif r < 0.6 and depth < 2:
                out.append(f"{pad}if {rand_expr(rng, 2, local)} < {rand_expr(rng, 1, local)}:")
                out.extend(block(indent + 1, depth + 1))
                if rng.random() < 0.4:
                    out.append(f"{pad}elif {rand_expr(rng, 1, local)}:")
                    out.extend(block(indent + 1, depth + 1))
                if rng.random() < 0.6:
                    out.append(f"{pad}else:")
                    out.extend(block(indent + 1, depth + 1))
            else:
                out.append(f"{pad}return {rand_expr(rng, 3, local)}")
                break
        return out

    lines.extend(block(1, 0))
    if rng.random() < 0.8:
        lines.append(f"    return {rand_expr(rng, 2, local)}")
    return "\n".join(lines) + "\n"


def evaluate(source, names, step):
    scope = {"math": math, "steps": STEPS, "warmup": WARMUP, "base_lr": BASE_LR}
    scope.update(names)
    if source.startswith("def"):
        before = set(scope)
        exec(source, scope)
        fn = scope[[k for k in scope if k not in before and k != "__builtins__"][0]]
    elif source.startswith("lambda"):
        fn = eval(source, scope)
    else:
        fn = eval("lambda step: " + source, scope)
    try:
        value = fn(step)
        if value is None or isinstance(value, complex):
            return {"raises": "TypeError"}
        return {"multiplier": repr(float(value))}
    except (ZeroDivisionError, ValueError, OverflowError, TypeError, UnboundLocalError) as e:
        return {"raises": type(e).__name__}


def main():
    rng = random.Random(15)
    cases = list(CASES)
    for i in range(300):
        k = rng.choice(["3", "0.25", "-2", "10**18"])
        if rng.random() < 0.5:
            src = f"lambda s: {rand_expr(rng, 4, ['s'])}"
        else:
            src = rand_def(rng)
        steps = list(range(0, 24)) + [999, 1553, 2999, 10**6, 2**40]
        cases.append((src, {"k": k}, steps))
    out = []

    def slow(*_):
        raise TimeoutError

    signal.signal(signal.SIGALRM, slow)
    known = {"math", "steps", "warmup", "base_lr", "min", "max", "abs", "round", "float",
             "int", "pow", "None", "True", "False"}
    for source, vars_, steps in cases:
        code = compile(source, "<source>", "exec" if source.startswith("def") else "eval")
        inner = [c for c in code.co_consts if hasattr(c, "co_names")]
        used = set(code.co_names) | {n for c in inner for n in c.co_names}
        if used - known - set(vars_) - {"cos", "sin", "log", "exp", "sqrt", "floor", "ceil",
                                         "pi", "tanh", "log2", "log10", "fabs", "tan", "e",
                                         "trunc", "degrees", "radians", "atan", "lr_lambda",
                                         "warmup_lambda", "f", "step"}:
            # A def reading a name it never assigns: lrsched refuses it before the first
            # step (give the name a value with --var), CPython raises NameError if it
            # gets there.
            continue
        names = {name: eval(text, {"math": math}) for name, text in vars_.items()}
        results = []
        try:
            # Sources whose ints grow too large to compute quickly are left out.
            signal.alarm(2)
            for step in steps:
                r = evaluate(source, names, step)
                r["step"] = step
                results.append(r)
            signal.alarm(0)
        except TimeoutError:
            continue
        out.append({"source": source, "vars": vars_, "results": results})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python-exprs.json")
    with open(path, "w") as f:
        json.dump({"steps": STEPS, "warmup": WARMUP, "base_lr": BASE_LR, "cases": out}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
