//! JSON text to Rust values through the browser's own parser: `JSON.parse`
//! builds the value, a small serde `Deserializer` walks it into the shared
//! DTOs.
//!
//! Why not serde_json: its parser, its error messages and the float
//! formatting they pull in were about a tenth of the SPA's wasm. Errors here
//! say only what kind of problem it was — the network panel has the body.

use js_sys::{Array, JsString, Object, Reflect, JSON};
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use wasm_bindgen::{JsCast, JsValue};

/// Why a body did not decode. Deliberately without the details serde would
/// format (see the module comment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DecodeError(pub(crate) &'static str);

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for DecodeError {}

impl de::Error for DecodeError {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        DecodeError("unexpected JSON")
    }
    fn invalid_type(_: de::Unexpected, _: &dyn de::Expected) -> Self {
        DecodeError("a value of the wrong type")
    }
    fn invalid_value(_: de::Unexpected, _: &dyn de::Expected) -> Self {
        DecodeError("an invalid value")
    }
    fn invalid_length(_: usize, _: &dyn de::Expected) -> Self {
        DecodeError("a list of the wrong length")
    }
    fn unknown_variant(_: &str, _: &'static [&'static str]) -> Self {
        DecodeError("an unknown variant")
    }
    fn unknown_field(_: &str, _: &'static [&'static str]) -> Self {
        DecodeError("an unknown field")
    }
    fn missing_field(_: &'static str) -> Self {
        DecodeError("a missing field")
    }
    fn duplicate_field(_: &'static str) -> Self {
        DecodeError("a duplicate field")
    }
}

/// Decodes JSON text; an empty body (a 204) is `null`.
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, DecodeError> {
    let value =
        if text.trim().is_empty() { JsValue::NULL } else { JSON::parse(text).map_err(|_| DecodeError("not JSON"))? };
    T::deserialize(Value(value))
}

/// A parsed JSON value on the JS side.
struct Value(JsValue);

impl<'de> de::Deserializer<'de> for Value {
    type Error = DecodeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        match classify(self.0) {
            Kind::Null => visitor.visit_unit(),
            Kind::Bool(b) => visitor.visit_bool(b),
            Kind::Int(n) => visitor.visit_i64(n),
            Kind::Float(n) => visitor.visit_f64(n),
            Kind::Str(s) => visitor.visit_string(s),
            Kind::Seq(array) => visitor.visit_seq(Items { array, next: 0 }),
            Kind::Map(object, keys) => visitor.visit_map(Fields { object, keys, next: 0, value: None }),
            Kind::Other => Err(DecodeError("a value JSON does not have")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        if self.0.is_null() || self.0.is_undefined() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DecodeError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier
    }
}

enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Array),
    Map(JsValue, Array),
    Other,
}

/// What a JS value is, in one non-generic function: the per-type
/// `deserialize_any` copies stay a plain `match`.
#[inline(never)]
fn classify(v: JsValue) -> Kind {
    if v.is_null() || v.is_undefined() {
        Kind::Null
    } else if let Some(b) = v.as_bool() {
        Kind::Bool(b)
    } else if let Some(n) = v.as_f64() {
        // JSON numbers from this API are integers (ids, counts, times).
        if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
            Kind::Int(n as i64)
        } else {
            Kind::Float(n)
        }
    } else if let Some(s) = v.as_string() {
        Kind::Str(s)
    } else if Array::is_array(&v) {
        Kind::Seq(v.unchecked_into())
    } else if v.is_object() {
        let keys = Object::keys(v.unchecked_ref::<Object>());
        Kind::Map(v, keys)
    } else {
        Kind::Other
    }
}

struct Items {
    array: Array,
    next: u32,
}

impl<'de> SeqAccess<'de> for Items {
    type Error = DecodeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, DecodeError> {
        if self.next >= self.array.length() {
            return Ok(None);
        }
        let item = self.array.get(self.next);
        self.next += 1;
        seed.deserialize(Value(item)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some((self.array.length() - self.next) as usize)
    }
}

struct Fields {
    object: JsValue,
    keys: Array,
    next: u32,
    value: Option<JsValue>,
}

impl<'de> MapAccess<'de> for Fields {
    type Error = DecodeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, DecodeError> {
        if self.next >= self.keys.length() {
            return Ok(None);
        }
        let key = self.keys.get(self.next);
        self.next += 1;
        self.value = Some(Reflect::get(&self.object, &key).unwrap_or(JsValue::UNDEFINED));
        let key: String = key.dyn_into::<JsString>().map(String::from).unwrap_or_default();
        seed.deserialize(key.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DecodeError> {
        seed.deserialize(Value(self.value.take().unwrap_or(JsValue::UNDEFINED)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use shared::auth::SessionResponse;
    use shared::{ErrorBody, Task};
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn decodes_the_apis_shapes() {
        let tasks: Vec<Task> = from_str(
            r#"[{"id":7,"user_id":"u","title":"Buy \"milk\" ✓","description":"","completed":true,
                "created_at":"2026-01-02T03:04:05.006Z","updated_at":"2026-01-02T03:04:05.006Z","extra":[1,{"a":null}]}]"#,
        )
        .unwrap();
        assert_eq!(tasks.len(), 1);
        assert_eq!((tasks[0].id, tasks[0].title.as_str(), tasks[0].completed), (7, "Buy \"milk\" ✓", true));
        let error: ErrorBody = from_str(r#"{"message":"Task not found","code":"TASK_NOT_FOUND"}"#).unwrap();
        assert_eq!(error.code, shared::error::codes::TASK_NOT_FOUND);
        let session: Option<SessionResponse> = from_str("null").unwrap();
        assert!(session.is_none());
        let empty: Option<Task> = from_str("").unwrap();
        assert!(empty.is_none(), "a 204's empty body is null");
    }

    #[test]
    fn options_numbers_and_ignored_bodies() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Shape {
            a: Option<i64>,
            b: Option<String>,
            big: i64,
        }
        assert_eq!(
            from_str::<Shape>(r#"{"a":null,"big":1795617934018}"#).unwrap(),
            Shape { a: None, b: None, big: 1_795_617_934_018 }
        );
        assert_eq!(
            from_str::<Shape>(r#"{"a":-3,"b":"x","big":0}"#).unwrap(),
            Shape { a: Some(-3), b: Some("x".into()), big: 0 }
        );
        assert!(from_str::<serde::de::IgnoredAny>(r#"{"success":true}"#).is_ok());
    }

    #[test]
    fn wrong_shapes_are_errors_not_panics() {
        assert_eq!(from_str::<Vec<Task>>("{not json"), Err(DecodeError("not JSON")));
        assert!(from_str::<Vec<Task>>(r#"{"id":1}"#).is_err());
        assert!(from_str::<Task>(r#"{"id":"seven"}"#).is_err());
        assert!(from_str::<Task>(
            r#"{"id":1.5,"user_id":"u","title":"t","description":"","completed":false,"created_at":"","updated_at":""}"#
        )
        .is_err());
        assert!(from_str::<ErrorBody>(r#"{"message":"m"}"#).is_err(), "a missing field");
    }
}
