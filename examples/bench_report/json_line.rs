//! Reads the top-level fields of one JSON object per line: the format both
//! bench_report and `bench.py` print. Nested objects and arrays (bench.py's
//! `thread_info`) are skipped whole, so only the measurement fields remain;
//! the root package has no JSON dependency and needs none for this.

/// A top-level field's value: the strings and numbers a comparison reads,
/// anything else (objects, arrays, booleans, null) kept as its raw text.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A JSON string, unescaped.
    Str(String),
    /// A JSON number.
    Num(f64),
    /// Any other value, as written.
    Raw(String),
}

/// The fields of one object, in the order written.
#[derive(Clone, Debug, Default)]
pub struct Record {
    fields: Vec<(String, Value)>,
}

impl Record {
    /// The field `key`, if the object has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The string field `key`.
    pub fn str(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Value::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// The number field `key`.
    pub fn num(&self, key: &str) -> Option<f64> {
        match self.get(key) {
            Some(Value::Num(x)) => Some(*x),
            _ => None,
        }
    }
}

/// Parses one line holding one JSON object; the error says what was
/// expected and at which byte.
pub fn parse(line: &str) -> Result<Record, String> {
    let mut p = Parser {
        s: line.as_bytes(),
        at: 0,
    };
    p.expect(b'{')?;
    let mut record = Record::default();
    p.space();
    if p.peek() == Some(b'}') {
        p.at += 1;
    } else {
        loop {
            p.space();
            let key = p.string()?;
            p.space();
            p.expect(b':')?;
            p.space();
            let value = p.value()?;
            record.fields.push((key, value));
            p.space();
            match p.bump() {
                Some(b',') => continue,
                Some(b'}') => break,
                _ => return Err(p.error("',' or '}' after a value")),
            }
        }
    }
    p.space();
    if p.at != p.s.len() {
        return Err(p.error("the end of the line after the object"));
    }
    Ok(record)
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek();
        self.at += 1;
        c
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.at += 1;
        }
    }

    fn error(&self, expected: &str) -> String {
        format!("expected {expected} at byte {}", self.at)
    }

    fn expect(&mut self, c: u8) -> Result<(), String> {
        if self.peek() == Some(c) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(&format!("'{}'", c as char)))
        }
    }

    /// A string starting at the opening quote, unescaped.
    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            let start = self.at;
            while !matches!(self.peek(), Some(b'"' | b'\\') | None) {
                self.at += 1;
            }
            // The slice ends at an ASCII quote or backslash (or the end), a
            // character boundary of the UTF-8 line.
            out.push_str(std::str::from_utf8(&self.s[start..self.at]).map_err(|e| e.to_string())?);
            match self.bump() {
                Some(b'"') => return Ok(out),
                Some(b'\\') => {
                    let c = match self.bump() {
                        Some(b'n') => '\n',
                        Some(b't') => '\t',
                        Some(b'r') => '\r',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'u') => {
                            let hex = self
                                .s
                                .get(self.at..self.at + 4)
                                .and_then(|h| std::str::from_utf8(h).ok())
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .ok_or_else(|| self.error("four hex digits after \\u"))?;
                            self.at += 4;
                            // A lone surrogate half has no char of its own.
                            char::from_u32(hex).unwrap_or('\u{fffd}')
                        }
                        Some(c @ (b'"' | b'\\' | b'/')) => c as char,
                        _ => return Err(self.error("an escape after '\\'")),
                    };
                    out.push(c);
                }
                _ => return Err(self.error("a closing '\"'")),
            }
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.peek() {
            Some(b'"') => self.string().map(Value::Str),
            Some(b'{' | b'[') => {
                let start = self.at;
                self.skip_nested()?;
                Ok(Value::Raw(
                    String::from_utf8_lossy(&self.s[start..self.at]).into(),
                ))
            }
            Some(_) => {
                let start = self.at;
                while !matches!(self.peek(), Some(b',' | b'}' | b' ') | None) {
                    self.at += 1;
                }
                let text = String::from_utf8_lossy(&self.s[start..self.at]).into_owned();
                Ok(match text.parse::<f64>() {
                    // Python writes NaN and Infinity; Rust parses both.
                    Ok(x) => Value::Num(x),
                    Err(_) => Value::Raw(text),
                })
            }
            None => Err(self.error("a value")),
        }
    }

    /// Skips an object or array, strings inside included.
    fn skip_nested(&mut self) -> Result<(), String> {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.string()?;
                    continue;
                }
                Some(b'{' | b'[') => depth += 1,
                Some(b'}' | b']') => {
                    depth -= 1;
                    if depth == 0 {
                        self.at += 1;
                        return Ok(());
                    }
                }
                Some(_) => {}
                None => return Err(self.error("the end of a nested object or array")),
            }
            self.at += 1;
        }
    }
}
