//! The batch evaluator: a node at a time over a batch of consecutive steps, so that the
//! per-node cost (a match, a call) is paid once a batch instead of once a step, and each
//! operator runs as a tight loop over a column.
//!
//! It runs only trees whose every node has a static type: `int` (an `i64` column), `float`,
//! or "int or float" (an `f64` column holding ints that floats represent exactly, used only
//! where Python would convert an int to a float anyway). Anything that is not plain in a
//! batch — an exception, an int past 64 bits (or past 2^53 where it must convert exactly),
//! a complex result, a branch taken one way by some steps and the other way by others —
//! abandons the batch, which [`super::Function::fill`] then evaluates a step at a time
//! with the exact evaluator. The results are therefore the exact evaluator's, bit for bit.

use super::lower::{Kind, Lowered, Node};
use super::parse::Func;
use super::value::{self, BinOp, CmpOp, Value};

/// The static type of a node's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ty {
    Int,
    Float,
    /// An int or a float, whichever the step gives, held as a float (exactly).
    Mixed,
    /// Never gives a value: raises or returns `None` on every step that reaches it.
    Never,
}

fn join(a: Ty, b: Ty) -> Ty {
    match (a, b) {
        (Ty::Never, t) | (t, Ty::Never) => t,
        (a, b) if a == b => a,
        _ => Ty::Mixed,
    }
}

/// A column of values, or one value for every step.
enum Col {
    I(Vec<i64>),
    F(Vec<f64>),
    SI(i64),
    SF(f64),
}

/// A batch cannot be evaluated node by node; the caller evaluates it step by step.
struct Bail;

type R<T = Col> = Result<T, Bail>;

/// Largest int a float represents exactly along with all smaller ones.
const EXACT: i64 = 1 << 53;

impl Col {
    fn f(&self, i: usize) -> f64 {
        match self {
            Col::I(v) => v[i] as f64,
            Col::F(v) => v[i],
            Col::SI(x) => *x as f64,
            Col::SF(x) => *x,
        }
    }

    fn int(&self, i: usize) -> i64 {
        match self {
            Col::I(v) => v[i],
            Col::SI(x) => *x,
            // Never reached: types are checked when the plan is made.
            Col::F(v) => v[i] as i64,
            Col::SF(x) => *x as i64,
        }
    }

    fn is_int(&self) -> bool {
        matches!(self, Col::I(_) | Col::SI(_))
    }

    /// The column as floats: an int column converted as Python converts an int.
    fn floats(self, n: usize) -> Vec<f64> {
        match self {
            Col::F(v) => v,
            Col::I(v) => v.into_iter().map(|x| x as f64).collect(),
            Col::SI(x) => vec![x as f64; n],
            Col::SF(x) => vec![x; n],
        }
    }

    /// For a value of type `Mixed`: ints must convert exactly.
    fn mixed(self, n: usize) -> R<Col> {
        match self {
            Col::I(v) => {
                if v.iter().any(|x| x.unsigned_abs() > EXACT as u64) {
                    return Err(Bail);
                }
                Ok(Col::F(v.into_iter().map(|x| x as f64).collect()))
            }
            Col::SI(x) if x.unsigned_abs() > EXACT as u64 => Err(Bail),
            Col::SI(x) => Ok(Col::F(vec![x as f64; n])),
            c => Ok(c),
        }
    }

    /// Python's truth of each value: all true, all false, or mixed (`None`).
    fn uniform_truth(&self, n: usize) -> Option<bool> {
        let truth = |i: usize| match self {
            Col::I(v) => v[i] != 0,
            Col::SI(x) => *x != 0,
            c => c.f(i) != 0.0,
        };
        if n == 0 {
            return Some(true);
        }
        let first = truth(0);
        (1..n).all(|i| truth(i) == first).then_some(first)
    }
}

/// A tree the batch evaluator can run, with each binding's type.
#[derive(Debug)]
pub struct Plan {
    local_types: Vec<Ty>,
}

impl Plan {
    /// A plan for `lowered`, if every node has a static type the evaluator handles.
    pub fn new(lowered: &Lowered) -> Option<Plan> {
        let mut plan = Plan {
            local_types: vec![Ty::Never; lowered.bindings],
        };
        let ty = plan.ty(&lowered.root)?;
        (ty != Ty::Never).then_some(plan)
    }

    fn ty(&mut self, node: &Node) -> Option<Ty> {
        use Ty::{Float, Int, Mixed, Never};
        Some(match &node.kind {
            Kind::Const(Value::Int(_)) | Kind::Param => Int,
            Kind::Const(Value::Float(_)) => Float,
            Kind::Const(Value::None) | Kind::Unbound(_) | Kind::FellOff => Never,
            Kind::Const(_) => return None,
            Kind::Local(id) => *self.local_types.get(*id)?,
            Kind::Let(id, v, body) => {
                let t = self.ty(v)?;
                *self.local_types.get_mut(*id)? = t;
                if t == Never {
                    return Some(Never);
                }
                self.ty(body)?
            }
            Kind::Neg(a) => match self.ty(a)? {
                Mixed => return None,
                t => t,
            },
            Kind::Pos(a) => self.ty(a)?,
            Kind::Not(a) => match self.ty(a)? {
                Never => Never,
                _ => Int,
            },
            Kind::Binary(op, a, b) => {
                let (ta, tb) = (self.ty(a)?, self.ty(b)?);
                if ta == Never || tb == Never {
                    return Some(Never);
                }
                self.binary_ty(*op, ta, tb, b)?
            }
            Kind::And(a, b) | Kind::Or(a, b) => {
                let (ta, tb) = (self.ty(a)?, self.ty(b)?);
                if ta == Never {
                    return Some(Never);
                }
                join(ta, tb)
            }
            Kind::Compare(first, rest) => {
                let mut types = vec![self.ty(first)?];
                for (_, r) in rest {
                    types.push(self.ty(r)?);
                }
                if types.contains(&Never) {
                    return Some(Never);
                }
                Int
            }
            Kind::If(c, a, b) => self.branch_ty(c, a, b)?,
            Kind::Call(Func::IfFn, args) => match args.as_slice() {
                [c, a, b] => self.branch_ty(c, a, b)?,
                _ => return None,
            },
            Kind::Call(f, args) => {
                let mut types = Vec::with_capacity(args.len());
                for a in args {
                    types.push(self.ty(a)?);
                }
                if types.contains(&Never) {
                    return Some(Never);
                }
                let t = types.first().copied().unwrap_or(Int);
                match f {
                    Func::Min | Func::Max => types.into_iter().reduce(join).unwrap_or(Int),
                    Func::Abs => t,
                    Func::Round | Func::Int | Func::Trunc | Func::Floor | Func::Ceil => Int,
                    Func::Bool | Func::IsNan | Func::IsInf | Func::IsFinite => Int,
                    Func::Pow => {
                        let tb = types.get(1).copied().unwrap_or(Int);
                        self.binary_ty(BinOp::Pow, t, tb, args.get(1)?)?
                    }
                    Func::IfFn => return None,
                    _ => Float,
                }
            }
        })
    }

    fn branch_ty(&mut self, c: &Node, a: &Node, b: &Node) -> Option<Ty> {
        if self.ty(c)? == Ty::Never {
            return Some(Ty::Never);
        }
        Some(join(self.ty(a)?, self.ty(b)?))
    }

    fn binary_ty(&self, op: BinOp, a: Ty, b: Ty, right: &Node) -> Option<Ty> {
        use Ty::{Float, Int, Mixed};
        Some(match (a, b) {
            (Int, Int) => match op {
                BinOp::Div => Float,
                BinOp::Pow => match right.kind {
                    Kind::Const(Value::Int(e)) if e >= 0 => Int,
                    Kind::Const(Value::Int(_)) => Float,
                    _ => return None,
                },
                _ => Int,
            },
            (Mixed, Int) | (Int, Mixed) | (Mixed, Mixed) => return None,
            _ => Float,
        })
    }

    /// Fills `out` with the multipliers of steps `from, from + 1, ...`; false when the
    /// batch must be evaluated step by step instead.
    pub fn fill(&self, lowered: &Lowered, from: u64, out: &mut [f64]) -> bool {
        let n = out.len();
        let Some(last) = from.checked_add(n as u64) else {
            return false;
        };
        if i64::try_from(last).is_err() {
            return false;
        }
        let mut run = Run {
            n,
            from: from as i64,
            locals: (0..lowered.bindings).map(|_| None).collect(),
        };
        match run.eval(&lowered.root) {
            Ok(col) => {
                match col {
                    Col::F(v) => out.copy_from_slice(&v),
                    Col::I(v) => {
                        for (o, x) in out.iter_mut().zip(v) {
                            *o = x as f64;
                        }
                    }
                    Col::SI(x) => out.fill(x as f64),
                    Col::SF(x) => out.fill(x),
                }
                true
            }
            Err(Bail) => false,
        }
    }
}

struct Run {
    n: usize,
    from: i64,
    locals: Vec<Option<Col>>,
}

fn map_f(a: Col, n: usize, f: impl Fn(f64) -> f64) -> Col {
    match a {
        Col::SI(x) => Col::SF(f(x as f64)),
        Col::SF(x) => Col::SF(f(x)),
        a => {
            let mut v = a.floats(n);
            for x in &mut v {
                *x = f(*x);
            }
            Col::F(v)
        }
    }
}

/// `f` over two float columns; `bad` marks a step where Python raises.
fn zip_f(
    a: Col,
    b: Col,
    n: usize,
    f: impl Fn(f64, f64) -> f64,
    bad: impl Fn(f64, f64, f64) -> bool,
) -> R {
    let scalar = |c: &Col| match c {
        Col::SF(x) => Some(*x),
        Col::SI(x) => Some(*x as f64),
        _ => None,
    };
    match (scalar(&a), scalar(&b)) {
        (Some(x), Some(y)) => {
            let r = f(x, y);
            if bad(x, y, r) {
                return Err(Bail);
            }
            Ok(Col::SF(r))
        }
        // An int column meets a float: convert and operate in one pass.
        (Some(x), None) if matches!(b, Col::I(_)) => {
            let Col::I(ints) = &b else { return Err(Bail) };
            let mut wrong = false;
            let v = ints
                .iter()
                .map(|&i| {
                    let y = i as f64;
                    let r = f(x, y);
                    wrong |= bad(x, y, r);
                    r
                })
                .collect();
            if wrong { Err(Bail) } else { Ok(Col::F(v)) }
        }
        (None, Some(y)) if matches!(a, Col::I(_)) => {
            let Col::I(ints) = &a else { return Err(Bail) };
            let mut wrong = false;
            let v = ints
                .iter()
                .map(|&i| {
                    let x = i as f64;
                    let r = f(x, y);
                    wrong |= bad(x, y, r);
                    r
                })
                .collect();
            if wrong { Err(Bail) } else { Ok(Col::F(v)) }
        }
        (Some(x), None) => {
            let mut v = b.floats(n);
            let mut wrong = false;
            for y in &mut v {
                let r = f(x, *y);
                wrong |= bad(x, *y, r);
                *y = r;
            }
            if wrong { Err(Bail) } else { Ok(Col::F(v)) }
        }
        (None, Some(y)) => {
            let mut v = a.floats(n);
            let mut wrong = false;
            for x in &mut v {
                let r = f(*x, y);
                wrong |= bad(*x, y, r);
                *x = r;
            }
            if wrong { Err(Bail) } else { Ok(Col::F(v)) }
        }
        (None, None) => {
            let mut v = a.floats(n);
            let w = b.floats(n);
            let mut wrong = false;
            for (x, y) in v.iter_mut().zip(&w) {
                let r = f(*x, *y);
                wrong |= bad(*x, *y, r);
                *x = r;
            }
            if wrong { Err(Bail) } else { Ok(Col::F(v)) }
        }
    }
}

/// `f` over two int columns; `None` from `f` abandons the batch.
fn zip_i(a: Col, b: Col, n: usize, f: impl Fn(i64, i64) -> Option<i64>) -> R {
    if let (Col::SI(x), Col::SI(y)) = (&a, &b) {
        return f(*x, *y).map(Col::SI).ok_or(Bail);
    }
    let mut v = Vec::with_capacity(n);
    for i in 0..n {
        v.push(f(a.int(i), b.int(i)).ok_or(Bail)?);
    }
    Ok(Col::I(v))
}

fn never() -> bool {
    false
}

impl Run {
    fn eval(&mut self, node: &Node) -> R {
        let n = self.n;
        match &node.kind {
            Kind::Const(Value::Int(i)) => Ok(Col::SI(*i)),
            Kind::Const(Value::Float(f)) => Ok(Col::SF(*f)),
            Kind::Const(_) | Kind::Unbound(_) | Kind::FellOff => Err(Bail),
            Kind::Param => Ok(Col::I((self.from..self.from + n as i64).collect())),
            Kind::Local(id) => match self.locals.get(*id) {
                Some(Some(c)) => Ok(match c {
                    Col::I(v) => Col::I(v.clone()),
                    Col::F(v) => Col::F(v.clone()),
                    Col::SI(x) => Col::SI(*x),
                    Col::SF(x) => Col::SF(*x),
                }),
                _ => Err(Bail),
            },
            Kind::Let(id, v, body) => {
                let c = self.eval(v)?;
                if let Some(slot) = self.locals.get_mut(*id) {
                    *slot = Some(c);
                }
                self.eval(body)
            }
            Kind::Neg(a) => match self.eval(a)? {
                Col::SF(x) => Ok(Col::SF(-x)),
                c @ Col::F(_) => Ok(map_f(c, n, |x| -x)),
                c => zip_i(Col::SI(0), c, n, i64::checked_sub),
            },
            Kind::Pos(a) => self.eval(a),
            Kind::Not(a) => {
                let c = self.eval(a)?;
                Ok(Col::I((0..n).map(|i| i64::from(c.f(i) == 0.0)).collect()))
            }
            Kind::Binary(op, a, b) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                binary(*op, a, b, n)
            }
            Kind::And(a, b) | Kind::Or(a, b) => {
                let is_and = matches!(node.kind, Kind::And(..));
                let left = self.eval(a)?;
                let truth = left.uniform_truth(n).ok_or(Bail)?;
                if truth == is_and {
                    self.eval(b)
                } else {
                    Ok(left)
                }
            }
            Kind::Compare(first, rest) => {
                let mut left = self.eval(first)?;
                let mut result = vec![1i64; n];
                for (op, r) in rest {
                    let right = self.eval(r)?;
                    for (i, res) in result.iter_mut().enumerate() {
                        if *res != 0 && !holds(*op, &left, &right, i) {
                            *res = 0;
                        }
                    }
                    left = right;
                }
                Ok(Col::I(result))
            }
            Kind::If(c, a, b) => self.branch(c, a, b),
            Kind::Call(Func::IfFn, args) => match args.as_slice() {
                [c, a, b] => self.branch(c, a, b),
                _ => Err(Bail),
            },
            Kind::Call(f, args) => {
                let mut cols = Vec::with_capacity(args.len());
                for a in args {
                    cols.push(self.eval(a)?);
                }
                call(*f, cols, n)
            }
        }
    }

    /// A branch taken the same way by every step of the batch; a batch split between the
    /// two is abandoned, since evaluating the untaken branch could raise where Python
    /// never evaluates it.
    fn branch(&mut self, c: &Node, a: &Node, b: &Node) -> R {
        let cond = self.eval(c)?;
        let truth = cond.uniform_truth(self.n).ok_or(Bail)?;
        self.eval(if truth { a } else { b })
    }
}

fn holds(op: CmpOp, a: &Col, b: &Col, i: usize) -> bool {
    if a.is_int() && b.is_int() {
        return op.holds(Some(a.int(i).cmp(&b.int(i))));
    }
    let order = match (a.is_int(), b.is_int()) {
        (true, false) => value::compare_int_float(a.int(i), b.f(i)),
        (false, true) => {
            value::compare_int_float(b.int(i), a.f(i)).map(std::cmp::Ordering::reverse)
        }
        _ => a.f(i).partial_cmp(&b.f(i)),
    };
    op.holds(order)
}

fn binary(op: BinOp, a: Col, b: Col, n: usize) -> R {
    if a.is_int() && b.is_int() {
        return match op {
            BinOp::Add => zip_i(a, b, n, i64::checked_add),
            BinOp::Sub => zip_i(a, b, n, i64::checked_sub),
            BinOp::Mul => zip_i(a, b, n, i64::checked_mul),
            BinOp::FloorDiv => zip_i(a, b, n, |x, y| {
                if y == 0 || (x == i64::MIN && y == -1) {
                    None
                } else {
                    Some(num_integer::Integer::div_floor(&x, &y))
                }
            }),
            BinOp::Mod => zip_i(a, b, n, |x, y| {
                if y == 0 || y == -1 {
                    // y == -1: always 0, but i64::MIN % -1 overflows; the exact path knows.
                    (y == -1).then_some(0)
                } else {
                    Some(num_integer::Integer::mod_floor(&x, &y))
                }
            }),
            BinOp::Div => {
                let ok = |c: &Col| match c {
                    Col::I(v) => v.iter().all(|x| x.unsigned_abs() <= EXACT as u64),
                    Col::SI(x) => x.unsigned_abs() <= EXACT as u64,
                    _ => false,
                };
                if !ok(&a) || !ok(&b) {
                    return Err(Bail);
                }
                zip_f(a, b, n, |x, y| x / y, |_, y, _| y == 0.0)
            }
            BinOp::Pow => match b {
                Col::SI(e) if e >= 0 => {
                    let e = u32::try_from(e).map_err(|_| Bail)?;
                    zip_i(a, Col::SI(0), n, |x, _| x.checked_pow(e))
                }
                b => pow_f(a, b, n),
            },
        };
    }
    match op {
        BinOp::Add => zip_f(a, b, n, |x, y| x + y, |_, _, _| never()),
        BinOp::Sub => zip_f(a, b, n, |x, y| x - y, |_, _, _| never()),
        BinOp::Mul => zip_f(a, b, n, |x, y| x * y, |_, _, _| never()),
        BinOp::Div => zip_f(a, b, n, |x, y| x / y, |_, y, _| y == 0.0),
        BinOp::FloorDiv => zip_f(a, b, n, value::float_floor_div, |_, y, _| y == 0.0),
        BinOp::Mod => zip_f(a, b, n, value::float_mod, |_, y, _| y == 0.0),
        BinOp::Pow => pow_f(a, b, n),
    }
}

/// `float_pow` where it gives a float; anything else (complex, an exception) abandons.
fn pow_f(a: Col, b: Col, n: usize) -> R {
    zip_f(
        a,
        b,
        n,
        |x, y| match value::float_pow(x, y) {
            Ok(Value::Float(r)) => r,
            _ => f64::NAN,
        },
        |x, y, r| r.is_nan() && !x.is_nan() && !y.is_nan(),
    )
}

fn call(f: Func, mut cols: Vec<Col>, n: usize) -> R {
    let first = if cols.is_empty() {
        Col::SI(0)
    } else {
        cols.remove(0)
    };
    // math_1's rule: NaN from a number, or infinity from a finite number, raises.
    let checked = |a: Col, func: fn(f64) -> f64| -> R {
        let mut v = a.floats(n);
        // One test a step: only a result that is not finite can be an error; the exact
        // evaluator sorts out which (`math.exp(inf)` is inf and no error) when it redoes
        // the batch.
        let mut unusual = false;
        for x in &mut v {
            let r = func(*x);
            unusual |= !r.is_finite();
            *x = r;
        }
        if unusual { Err(Bail) } else { Ok(Col::F(v)) }
    };
    let to_int = |a: Col, round: fn(f64) -> f64| -> R {
        if a.is_int() {
            return Ok(a);
        }
        let v = a.floats(n);
        let mut out = Vec::with_capacity(n);
        for x in v {
            let r = round(x);
            if r.is_nan() || r.abs() >= value::TWO_63 {
                return Err(Bail);
            }
            out.push(r as i64);
        }
        Ok(Col::I(out))
    };
    match f {
        Func::Float => Ok(match first {
            Col::SI(x) => Col::SF(x as f64),
            c => Col::F(c.floats(n)),
        }),
        Func::Int | Func::Trunc => to_int(first, f64::trunc),
        Func::Round => to_int(first, f64::round_ties_even),
        Func::Floor => to_int(first, f64::floor),
        Func::Ceil => to_int(first, f64::ceil),
        Func::Bool => Ok(Col::I(
            (0..n).map(|i| i64::from(first.f(i) != 0.0)).collect(),
        )),
        Func::Abs => match first {
            c if c.is_int() => zip_i(c, Col::SI(0), n, |x, _| x.checked_abs()),
            c => Ok(map_f(c, n, f64::abs)),
        },
        Func::Min | Func::Max => {
            let max = f == Func::Max;
            let all_int = first.is_int() && cols.iter().all(Col::is_int);
            let all_float = !first.is_int() && cols.iter().all(|c| !c.is_int());
            if all_int {
                let mut acc = first;
                for c in cols {
                    acc = zip_i(acc, c, n, |a, b| {
                        Some(if (b > a) == max && b != a { b } else { a })
                    })?;
                }
                return Ok(acc);
            }
            if all_float {
                let mut acc = first;
                for c in cols {
                    acc = zip_f(
                        acc,
                        c,
                        n,
                        |a, b| {
                            if (max && b > a) || (!max && b < a) {
                                b
                            } else {
                                a
                            }
                        },
                        |_, _, _| never(),
                    )?;
                }
                return Ok(acc);
            }
            // Ints and floats: compare exactly, keep the winner (an "int or float").
            let mut acc = first.mixed(n)?;
            for c in cols {
                let c = c.mixed(n)?;
                acc = zip_f(
                    acc,
                    c,
                    n,
                    |a, b| {
                        if (max && b > a) || (!max && b < a) {
                            b
                        } else {
                            a
                        }
                    },
                    |_, _, _| never(),
                )?;
            }
            Ok(acc)
        }
        Func::Pow => {
            let second = if cols.is_empty() {
                Col::SI(1)
            } else {
                cols.remove(0)
            };
            binary(BinOp::Pow, first, second, n)
        }
        Func::MathPow => {
            let second = if cols.is_empty() {
                Col::SI(1)
            } else {
                cols.remove(0)
            };
            zip_f(
                first,
                second,
                n,
                |x, y| value::math_pow(x, y).unwrap_or(f64::NAN),
                |x, y, r| r.is_nan() && !x.is_nan() && !y.is_nan(),
            )
        }
        Func::Signum => Ok(map_f(first, n, |v| {
            if v > 0.0 {
                1.0
            } else if v < 0.0 {
                -1.0
            } else if v == 0.0 {
                0.0
            } else {
                v
            }
        })),
        Func::Exp => checked(first, f64::exp),
        Func::Log | Func::Log2 | Func::Log10 => {
            let func: fn(f64) -> f64 = match f {
                Func::Log => f64::ln,
                Func::Log2 => f64::log2,
                _ => f64::log10,
            };
            let num = checked(first, func)?;
            if f != Func::Log || cols.is_empty() {
                return Ok(num);
            }
            let den = checked(cols.remove(0), f64::ln)?;
            zip_f(num, den, n, |x, y| x / y, |_, y, _| y == 0.0)
        }
        Func::Sqrt => checked(first, f64::sqrt),
        Func::Sin => checked(first, f64::sin),
        Func::Cos => checked(first, f64::cos),
        Func::Tan => checked(first, f64::tan),
        Func::Asin => checked(first, f64::asin),
        Func::Acos => checked(first, f64::acos),
        Func::Atan => checked(first, f64::atan),
        Func::Sinh => checked(first, f64::sinh),
        Func::Cosh => checked(first, f64::cosh),
        Func::Tanh => checked(first, f64::tanh),
        Func::Expm1 => checked(first, f64::exp_m1),
        Func::Log1p => checked(first, f64::ln_1p),
        Func::Fabs => Ok(map_f(first, n, f64::abs)),
        Func::Degrees => Ok(map_f(first, n, |x| x * (180.0 / std::f64::consts::PI))),
        Func::Radians => Ok(map_f(first, n, |x| x * (std::f64::consts::PI / 180.0))),
        Func::IsNan => Ok(Col::I(
            (0..n).map(|i| i64::from(first.f(i).is_nan())).collect(),
        )),
        Func::IsInf => Ok(Col::I(
            (0..n)
                .map(|i| i64::from(first.f(i).is_infinite()))
                .collect(),
        )),
        Func::IsFinite => Ok(Col::I(
            (0..n).map(|i| i64::from(first.f(i).is_finite())).collect(),
        )),
        Func::IfFn => Err(Bail),
    }
}
