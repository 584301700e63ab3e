//! e-conomic's annotated validation error bodies for the sandbox: a tree
//! that mirrors the request, with `errors: [...]` leaves and `arrayIndex`
//! on array items.

use super::harness::log_id;
use super::now_text;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

pub(super) enum Step<'a> {
    Field(&'a str),
    Item(usize),
}

/// Field errors as e-conomic annotates them: a tree that mirrors the request.
#[derive(Default)]
pub(super) struct Problems {
    tree: Map<String, Value>,
    count: usize,
}

impl Problems {
    pub(super) fn add(
        &mut self,
        path: &[Step],
        code: &str,
        message: String,
        value: Option<&Value>,
    ) {
        let mut leaf = json!({
            "errorCode": code,
            "message": message,
            "developerHint": "Please check your request data.",
        });
        if let (Some(value), Value::Object(map)) = (value, &mut leaf) {
            map.insert("value".into(), value.clone());
        }
        insert(&mut self.tree, path, leaf);
        self.count += 1;
    }

    /// How many field errors were added so far.
    pub(super) fn count(&self) -> usize {
        self.count
    }

    pub(super) fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub(super) fn into_response(self) -> Response {
        let body = json!({
            "message": "Validation error.",
            "developerHint": "Inspect validation errors and correct your request.",
            "logId": log_id(),
            "httpStatusCode": 400,
            "errors": Value::Object(self.tree),
            "logTime": now_text(),
        });
        (StatusCode::BAD_REQUEST, Json(body)).into_response()
    }
}

pub(super) fn insert(node: &mut Map<String, Value>, path: &[Step], leaf: Value) {
    match path {
        [] => {
            let errors = node.entry("errors").or_insert_with(|| Value::Array(vec![]));
            if let Value::Array(errors) = errors {
                errors.push(leaf);
            }
        }
        [Step::Field(name), Step::Item(index), rest @ ..] => {
            let items = node.entry(*name).or_insert_with(|| Value::Array(vec![]));
            if let Value::Array(items) = items {
                let position = match items.iter().position(|i| i["arrayIndex"] == json!(index)) {
                    Some(p) => p,
                    None => {
                        items.push(json!({ "arrayIndex": index }));
                        items.len() - 1
                    }
                };
                if let Some(Value::Object(item)) = items.get_mut(position) {
                    insert(item, rest, leaf);
                }
            }
        }
        [Step::Field(name), rest @ ..] => {
            let child = node.entry(*name).or_insert_with(|| json!({}));
            if let Value::Object(child) = child {
                insert(child, rest, leaf);
            }
        }
        [Step::Item(_), rest @ ..] => insert(node, rest, leaf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::economic::{NOT_FOUND, NO_QUANTITY, SCALE};

    #[test]
    fn annotates_errors_like_e_conomic() {
        let mut problems = Problems::default();
        problems.add(
            &[Step::Field("currency")],
            NOT_FOUND,
            "currency does not exist.".into(),
            Some(&json!("ZUL")),
        );
        problems.add(
            &[
                Step::Field("lines"),
                Step::Item(1),
                Step::Field("unitNetPrice"),
            ],
            SCALE,
            "unitNetPrice scale cannot be greater then two decimal places.".into(),
            None,
        );
        problems.add(
            &[Step::Field("lines"), Step::Item(1), Step::Field("quantity")],
            NO_QUANTITY,
            "q".into(),
            None,
        );
        let tree = Value::Object(problems.tree);
        assert_eq!(tree["currency"]["errors"][0]["errorCode"], "E06000");
        assert_eq!(tree["currency"]["errors"][0]["value"], "ZUL");
        assert_eq!(tree["lines"][0]["arrayIndex"], 1);
        assert_eq!(
            tree["lines"][0]["unitNetPrice"]["errors"][0]["errorCode"],
            "E04740"
        );
        assert_eq!(
            tree["lines"][0]["quantity"]["errors"][0]["errorCode"],
            "E04730"
        );
        assert_eq!(tree["lines"].as_array().unwrap().len(), 1);
    }
}
