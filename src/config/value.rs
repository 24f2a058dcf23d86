//! The values config keys hold, deserialized with the checks lrsched makes on them, so that
//! a bad value is reported by the deserializer at its line and column in any syntax.
//!
//! Each function is a `#[serde(deserialize_with = ...)]` for an `Option` field (with
//! `#[serde(default)]`): a missing key and JSON's `null` both give `None`. Errors are
//! `must be ..., not ...` sentences, which `super` prefixes with the file position and key.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value as Json};

use crate::format::py_repr;
use crate::schedule::params::Raw;
use crate::schedule::registry;

/// A whole number of steps, at least `MIN`.
pub fn count<'de, D: Deserializer<'de>, const MIN: u64>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_option(Count::<MIN, false>)
}

/// `steps`: a whole number of steps, at least 1.
pub fn steps<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    count::<D, 1>(d)
}

/// `warmup`: a whole number of steps.
pub fn warmup<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    count::<D, 0>(d)
}

/// lrsched's own `steps`, read as `--steps` reads it: a float without a fraction (`1e6`,
/// which JSON, TOML and YAML all read as a float) is the whole number. The frameworks'
/// step counts stay as strict as the frameworks are.
pub fn steps_as_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_option(Count::<1, true>)
}

/// lrsched's own `warmup`, read as `--warmup` reads it (see [`steps_as_flag`]).
pub fn warmup_as_flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_option(Count::<0, true>)
}

/// A count of at least `MIN`; with `FLOATS`, also a float that is a whole number.
struct Count<const MIN: u64, const FLOATS: bool>;

impl<'de, const MIN: u64, const FLOATS: bool> Visitor<'de> for Count<MIN, FLOATS> {
    type Value = Option<u64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a whole number >= {MIN}")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        if v < MIN {
            return Err(E::custom(format!("must be at least {MIN}, not {v}")));
        }
        Ok(Some(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::custom(format!(
                "must be a whole number >= {MIN}, not {v}"
            ))),
        }
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // 2^64 is the first double past u64::MAX.
        if FLOATS && v.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&v) {
            return self.visit_u64(v as u64);
        }
        Err(E::custom(format!(
            "must be a whole number >= {MIN}, not {}",
            py_repr(v)
        )))
    }
}

/// A number the format reads as an `f64`, accepted when `accept` holds.
struct Float {
    expecting: &'static str,
    accept: fn(f64) -> bool,
    /// Whether a number written as a string (PyYAML's `2e-5`) is read as the number, as
    /// frameworks that convert their config values do.
    text: bool,
}

impl<'de> Visitor<'de> for Float {
    type Value = Option<f64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        if (self.accept)(v) {
            Ok(Some(v))
        } else {
            Err(E::custom(format!(
                "must be {}, not {}",
                self.expecting,
                py_repr(v)
            )))
        }
    }

    // An integer is the float Python's float() makes of it, as serde_json's as_f64 does.
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.visit_f64(v as f64)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.visit_f64(v as f64)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match v.trim().parse::<f64>() {
            Ok(x) if self.text => self.visit_f64(x),
            _ => Err(E::invalid_type(de::Unexpected::Str(v), &self)),
        }
    }
}

/// A learning rate: finite and >= 0, as torch's optimizers require.
const LR: Float = Float {
    expecting: "a finite number >= 0 (torch rejects a negative lr)",
    accept: finite_non_negative,
    text: false,
};

/// A count of steps, or a ratio below 1 (`TrainingArguments.warmup_steps`).
const NON_NEGATIVE: Float = Float {
    expecting: "a number of steps or a ratio in [0, 1)",
    accept: finite_non_negative,
    text: false,
};

/// Epochs, or `logging_steps` (a float, as transformers allows).
const EPOCHS: Float = Float {
    expecting: "a finite number >= 0",
    accept: finite_non_negative,
    text: false,
};

/// A ratio in [0, 1] (`TrainingArguments.warmup_ratio`, as transformers requires).
const RATIO: Float = Float {
    expecting: "a ratio in [0, 1] (as transformers requires)",
    accept: |x| (0.0..=1.0).contains(&x),
    text: false,
};

fn finite_non_negative(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

/// The number readers of a framework that converts number-shaped strings (Axolotl's
/// pydantic, torchtune's and Lightning's casts): `2e-5`, which PyYAML leaves a string, is
/// the number.
pub mod converted {
    use super::*;

    /// [`super::lr`], a string of a number accepted.
    pub fn lr<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        d.deserialize_option(Float { text: true, ..LR })
    }

    /// [`super::non_negative`], a string of a number accepted.
    pub fn non_negative<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        d.deserialize_option(Float {
            text: true,
            ..NON_NEGATIVE
        })
    }

    /// [`super::epochs`], a string of a number accepted.
    pub fn epochs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        d.deserialize_option(Float {
            text: true,
            ..EPOCHS
        })
    }

    /// [`super::ratio`], a string of a number accepted (without transformers' name: these
    /// frameworks have their own reasons).
    pub fn ratio<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        d.deserialize_option(Float {
            expecting: "a ratio in [0, 1]",
            text: true,
            ..RATIO
        })
    }
}

/// A learning rate: finite and >= 0, as torch's optimizers require.
pub fn lr<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_option(LR)
}

/// A finite number >= 0 (`TrainingArguments.warmup_steps`: a count, or a ratio below 1).
pub fn non_negative<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_option(NON_NEGATIVE)
}

/// Epochs, or `logging_steps`: a finite number >= 0 (a float, as transformers allows).
pub fn epochs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_option(EPOCHS)
}

/// A ratio in [0, 1] (`TrainingArguments.warmup_ratio`, as transformers requires).
pub fn ratio<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_option(RATIO)
}

/// A whole number of either sign (`TrainingArguments.max_steps`, where -1 means "none").
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    struct Int;
    impl<'de> Visitor<'de> for Int {
        type Value = Option<i64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a whole number")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format!("must be a whole number below 2**63, not {v}")))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Err(E::custom(format!(
                "must be a whole number, not {}",
                py_repr(v)
            )))
        }
    }
    d.deserialize_option(Int)
}

/// A boolean.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    struct Flag;
    impl<'de> Visitor<'de> for Flag {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("true or false")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
    }
    d.deserialize_option(Flag)
}

/// A string.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    text_as(d, |s| Ok(s.to_string()))
}

/// The name of a built-in schedule, checked against the registry where it is written.
pub fn schedule<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    text_as(d, |name| {
        registry::find(name)
            .map(|_| name.to_string())
            .map_err(|e| e.to_string())
    })
}

/// A string that `convert` checks and rewrites; its error message is reported as is.
pub fn text_as<'de, D: Deserializer<'de>>(
    d: D,
    convert: fn(&str) -> Result<String, String>,
) -> Result<Option<String>, D::Error> {
    d.deserialize_option(Text { convert })
}

struct Text {
    convert: fn(&str) -> Result<String, String>,
}

impl<'de> Visitor<'de> for Text {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        (self.convert)(v).map(Some).map_err(E::custom)
    }
}

/// A schedule's parameters: an object of names to values, read as `--set` would take them.
pub fn params<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<(String, Raw)>>, D::Error> {
    d.deserialize_option(Params {
        expecting: "an object like {\"T_max\": 100}",
        json_string: false,
    })
}

/// `TrainingArguments.lr_scheduler_kwargs`: an object, or a JSON string of one (what the
/// command line's `--lr_scheduler_kwargs '{...}'` leaves in a saved file).
pub fn kwargs<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<(String, Raw)>>, D::Error> {
    d.deserialize_option(Params {
        expecting: "an object like {\"num_cycles\": 0.5}, or a JSON string of one",
        json_string: true,
    })
}

struct Params {
    expecting: &'static str,
    json_string: bool,
}

impl<'de> Visitor<'de> for Params {
    type Value = Option<Vec<(String, Raw)>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut params = Vec::new();
        while let Some((key, value)) = map.next_entry_seed(PhantomData::<String>, ParamValue)? {
            params.push((key, Raw::Json(value)));
        }
        Ok(Some(params))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if !self.json_string {
            return Err(E::invalid_type(de::Unexpected::Str(v), &self));
        }
        if v.trim().is_empty() {
            return Ok(None);
        }
        let mut de = serde_json::Deserializer::from_str(v);
        let inner = Params {
            expecting: self.expecting,
            json_string: false,
        };
        de.deserialize_map(inner)
            .and_then(|params| de.end().map(|()| params))
            .map_err(|_| E::custom(format!("must be {}, not {v:?}", self.expecting)))
    }
}

/// `vars`: an object of names to the Python literals `--var` takes: a number (`5` an int,
/// `5.0` a float, as Python reads them), a boolean, or a string of a literal (`"2**40"`).
pub fn vars<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<(String, String)>>, D::Error> {
    struct Vars;
    impl<'de> Visitor<'de> for Vars {
        type Value = Option<Vec<(String, String)>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object like {\"warmup_steps\": 500}")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut vars = Vec::new();
            while let Some((name, text)) = map.next_entry_seed(PhantomData::<String>, VarValue)? {
                vars.push((name, text));
            }
            Ok(Some(vars))
        }
    }
    d.deserialize_option(Vars)
}

/// One value of `vars`, as the Python literal text `--var` would be given.
struct VarValue;

impl<'de> DeserializeSeed<'de> for VarValue {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for VarValue {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, or a string of a Python literal")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(if v { "True" } else { "False" }.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    // TOML's `inf` and `nan` have no literal; Python spells them with `math`.
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(if v.is_nan() {
            "math.nan".to_string()
        } else if v.is_infinite() {
            if v > 0.0 { "math.inf" } else { "-math.inf" }.to_string()
        } else {
            py_repr(v)
        })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
}

/// Any value, as JSON (`trainer.devices`: a count, a list of ids, or `"auto"`).
pub fn any<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Json>, D::Error> {
    ParamValue
        .deserialize(d)
        .map(|v| (!v.is_null()).then_some(v))
}

/// A parameter value as JSON, whatever the syntax: TOML's `nan` and `inf`, which JSON
/// cannot hold, become the text Python's `float()` reads, so they keep their value.
struct ParamValue;

impl<'de> DeserializeSeed<'de> for ParamValue {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ParamValue {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, a string, a boolean or a list")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        Ok(Number::from_f64(v).map_or_else(|| Json::String(py_repr(v)), Json::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }

    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(ParamValue)? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut object = Map::new();
        while let Some((key, value)) = map.next_entry_seed(PhantomData::<String>, ParamValue)? {
            object.insert(key, value);
        }
        Ok(Json::Object(object))
    }
}

/// The top-level keys of a document, in order, its values skipped: what format detection
/// looks at.
pub struct Keys(pub Vec<String>);

impl<'de> de::Deserialize<'de> for Keys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeysVisitor;
        impl<'de> Visitor<'de> for KeysVisitor {
            type Value = Keys;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of keys like {\"schedule\": \"cosine\", \"steps\": 1000}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(Keys(keys))
            }
        }
        d.deserialize_map(KeysVisitor)
    }
}

/// The field names of a struct that derives `Deserialize`, as serde's derive lists them:
/// the keys a format reads, kept by the compiler instead of by hand.
pub fn field_names<'de, T: de::Deserialize<'de>>() -> &'static [&'static str] {
    struct Introspect<'a>(&'a mut &'static [&'static str]);
    impl<'de> Deserializer<'de> for Introspect<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _name: &'static str,
            fields: &'static [&'static str],
            _visitor: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("fields read"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut fields: &'static [&'static str] = &[];
    // The error is the point: the derive hands over its field list and stops.
    let _ = T::deserialize(Introspect(&mut fields));
    fields
}
