//! The OpenAPI 3 document of the JSON face, built from the same file descriptor set that
//! reflection serves: one path per JSON route, one schema per message (proto3 JSON mapping:
//! lowerCamelCase names, 64-bit integers as strings, enums as their names, maps as objects).
//! A server-streaming method's route answers `text/event-stream` (see [`super::sse`]).
use prost::Message;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};
use serde_json::{json, Map, Value};

use super::proto::FILE_DESCRIPTOR_SET;

fn short(type_name: &str) -> String {
    type_name.trim_start_matches('.').replace("milkrun.v1.", "")
}

fn scalar(t: Type) -> Value {
    match t {
        Type::Double | Type::Float => json!({"type": "number"}),
        Type::Int64 | Type::Uint64 | Type::Sint64 | Type::Fixed64 | Type::Sfixed64 => {
            json!({"type": "string", "format": "int64"})
        }
        Type::Int32 | Type::Uint32 | Type::Sint32 | Type::Fixed32 | Type::Sfixed32 => {
            json!({"type": "integer", "format": "int32"})
        }
        Type::Bool => json!({"type": "boolean"}),
        Type::Bytes => json!({"type": "string", "format": "byte"}),
        _ => json!({"type": "string"}),
    }
}

fn field_schema(f: &prost_types::FieldDescriptorProto, maps: &Map<String, Value>) -> Value {
    let t = f.r#type();
    let one = match t {
        Type::Message | Type::Enum => {
            let name = short(f.type_name());
            if let Some(map_value) = maps.get(&name) {
                return json!({"type": "object", "additionalProperties": map_value});
            }
            json!({"$ref": format!("#/components/schemas/{name}")})
        }
        _ => scalar(t),
    };
    if f.label() == Label::Repeated {
        json!({"type": "array", "items": one})
    } else {
        one
    }
}

fn collect(prefix: &str, m: &DescriptorProto, out: &mut Vec<(String, DescriptorProto)>) {
    let name = if prefix.is_empty() {
        m.name().to_string()
    } else {
        format!("{prefix}.{}", m.name())
    };
    for nested in &m.nested_type {
        collect(&name, nested, out);
    }
    out.push((name, m.clone()));
}

/// The document, with a path for each JSON route `(path, "milkrun.v1.Service/Method")` given.
pub fn document(routes: &[(&str, &str)]) -> Value {
    let Ok(set) = FileDescriptorSet::decode(FILE_DESCRIPTOR_SET) else {
        return json!({"openapi": "3.0.3", "info": {"title": "milkrun", "version": "v1"}, "paths": {}});
    };
    let mut messages = Vec::new();
    let mut schemas = Map::new();
    for file in set.file.iter().filter(|f| f.package() == "milkrun.v1") {
        for m in &file.message_type {
            collect("", m, &mut messages);
        }
        for e in &file.enum_type {
            let values: Vec<Value> = e.value.iter().map(|v| json!(v.name())).collect();
            schemas.insert(
                e.name().to_string(),
                json!({"type": "string", "enum": values}),
            );
        }
        for m in &file.message_type {
            for e in &m.enum_type {
                let values: Vec<Value> = e.value.iter().map(|v| json!(v.name())).collect();
                schemas.insert(
                    format!("{}.{}", m.name(), e.name()),
                    json!({"type": "string", "enum": values}),
                );
            }
        }
    }
    // Map entries become `additionalProperties` of their value's schema.
    let mut maps = Map::new();
    for (name, m) in &messages {
        if m.options.as_ref().is_some_and(|o| o.map_entry()) {
            if let Some(value) = m.field.iter().find(|f| f.number() == 2) {
                maps.insert(name.clone(), field_schema(value, &Map::new()));
            }
        }
    }
    for (name, m) in &messages {
        if maps.contains_key(name) {
            continue;
        }
        let mut props = Map::new();
        for f in &m.field {
            props.insert(f.json_name().to_string(), field_schema(f, &maps));
        }
        schemas.insert(name.clone(), json!({"type": "object", "properties": props}));
    }
    let mut paths = Map::new();
    for file in set.file.iter().filter(|f| f.package() == "milkrun.v1") {
        for svc in &file.service {
            for method in &svc.method {
                let full = format!("milkrun.v1.{}/{}", svc.name(), method.name());
                let Some((path, _)) = routes.iter().find(|(_, m)| *m == full) else {
                    continue;
                };
                let input = short(method.input_type());
                let output = short(method.output_type());
                let schema = json!({"$ref": format!("#/components/schemas/{output}")});
                // A server stream is answered as server-sent events, one message per `data:`.
                let ok = if method.server_streaming() {
                    json!({"description": format!(
                        "Server-sent events: each `data:` line is one {output} as JSON; an \
                         `error` event (an Error as JSON) ends a stream that fails"),
                        "content": {"text/event-stream": {"schema": schema}}})
                } else {
                    json!({"description": "OK", "content": {"application/json": {"schema": schema}}})
                };
                paths.insert(
                    (*path).to_string(),
                    json!({"post": {
                        "operationId": format!("{}.{}", svc.name(), method.name()),
                        "summary": full,
                        "security": [{"bearer": []}],
                        "requestBody": {"required": true, "content": {"application/json": {
                            "schema": {"$ref": format!("#/components/schemas/{input}")}}}},
                        "responses": {
                            "200": ok,
                            "default": {"description": "An error (google.rpc.Status as JSON)",
                                "content": {"application/json": {
                                    "schema": {"$ref": "#/components/schemas/Error"}}}}
                        }
                    }}),
                );
            }
        }
    }
    schemas.insert(
        "Error".into(),
        json!({"type": "object", "properties": {"error": {"type": "object", "properties": {
            "code": {"type": "integer"}, "status": {"type": "string"},
            "message": {"type": "string"},
            "details": {"type": "array", "items": {"type": "object"}}}}}}),
    );
    json!({
        "openapi": "3.0.3",
        "info": {"title": "milkrun", "version": "v1",
                 "description": "The JSON face of the milkrun gRPC services (proto3 JSON mapping)."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                "description": "An API key or an HS256 JWT"}}
        }
    })
}
