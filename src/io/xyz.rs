//! Extended XYZ in ASE's convention, for OVITO, ASE and other codes.
//!
//! ```text
//! 2000
//! Lattice="L 0.0 0.0 0.0 L 0.0 0.0 0.0 L" Properties=species:S:1:pos:R:3:lambda:R:1:radius:R:1 pbc="T T T"
//! X 0.5 1.25 3.0 1.3 0.65
//! …
//! ```
//!
//! `lambda` is the particle size λ; `radius` = λ/2 is written so that OVITO draws the particles to size.
//! Every number is written in its shortest form that reads back to the same `f64`, so an import/export
//! round trip is bit-exact. On reading, the size is taken from `lambda`, or else from `size` (matscipy's
//! name for λ), or else from `radius` (λ = 2 × radius).

use std::fmt::Write as _;

use crate::model::{Configuration, ConfigurationError};

/// A problem in an extended XYZ text, with its 1-based line number.
#[derive(Clone, Debug, PartialEq)]
pub struct XyzError {
    /// Line number (1-based).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

fn error<T>(line: usize, message: impl Into<String>) -> Result<T, XyzError> {
    Err(XyzError {
        line,
        message: message.into(),
    })
}

/// Either a syntax problem or a configuration that fails its checks.
#[derive(Debug, PartialEq)]
pub enum ReadError {
    /// The text is not valid extended XYZ.
    Syntax(XyzError),
    /// The text parses but the configuration is unusable.
    Configuration(ConfigurationError),
}

/// Writes `configuration` as one extended XYZ frame.
pub fn format(configuration: &Configuration) -> String {
    format_with(configuration, &[], &[])
}

/// A per-particle column beyond positions and sizes, in particle order.
#[derive(Clone, Copy, Debug)]
pub enum Field<'a> {
    /// A vector per particle (`name:R:3`): OVITO draws it as arrows.
    Vector(&'a str, &'a [[f64; 3]]),
    /// A number per particle (`name:R:1`): OVITO colours by it.
    Scalar(&'a str, &'a [f64]),
}

impl Field<'_> {
    fn name(&self) -> &str {
        match self {
            Field::Vector(name, _) | Field::Scalar(name, _) => name,
        }
    }

    fn len(&self) -> usize {
        match self {
            Field::Vector(_, values) => values.len(),
            Field::Scalar(_, values) => values.len(),
        }
    }
}

/// Writes `configuration` as one extended XYZ frame with per-particle `fields` after the standard
/// columns and `info` as further `key=value` entries of the comment line (ASE's `atoms.info`); a
/// value with spaces is quoted.
///
/// Panics if a field does not hold one entry per particle, or a name is not a plain identifier.
pub fn format_with(
    configuration: &Configuration,
    fields: &[Field],
    info: &[(&str, String)],
) -> String {
    let n = configuration.len();
    let plain = |name: &str| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    for field in fields {
        assert!(plain(field.name()), "field name {:?}", field.name());
        assert_eq!(
            field.len(),
            n,
            "field {} holds one entry per particle",
            field.name()
        );
    }
    let l = configuration.box_length;
    let mut text = String::with_capacity((80 + 60 * fields.len()) * (n + 2));
    let _ = writeln!(text, "{n}");
    let mut properties = String::from("species:S:1:pos:R:3:lambda:R:1:radius:R:1");
    for field in fields {
        let count = if matches!(field, Field::Vector(..)) {
            3
        } else {
            1
        };
        let _ = write!(properties, ":{}:R:{count}", field.name());
    }
    let _ = write!(
        text,
        "Lattice=\"{l:?} 0.0 0.0 0.0 {l:?} 0.0 0.0 0.0 {l:?}\" Properties={properties} pbc=\"T T T\""
    );
    for (key, value) in info {
        assert!(plain(key), "info key {key:?}");
        if value.contains(char::is_whitespace) {
            let _ = write!(text, " {key}=\"{value}\"");
        } else {
            let _ = write!(text, " {key}={value}");
        }
    }
    text.push('\n');
    for (k, (x, lambda)) in configuration
        .positions
        .iter()
        .zip(&configuration.sizes)
        .enumerate()
    {
        let _ = write!(
            text,
            "X {:?} {:?} {:?} {:?} {:?}",
            x[0],
            x[1],
            x[2],
            lambda,
            0.5 * lambda
        );
        for field in fields {
            match field {
                Field::Vector(_, values) => {
                    let v = values[k];
                    let _ = write!(text, " {:?} {:?} {:?}", v[0], v[1], v[2]);
                }
                Field::Scalar(_, values) => {
                    let _ = write!(text, " {:?}", values[k]);
                }
            }
        }
        text.push('\n');
    }
    text
}

/// Splits an extended XYZ comment line into `key=value` pairs; quoted values keep their spaces and a
/// bare key means `key=T`.
fn key_values(line: &str, line_number: usize) -> Result<Vec<(String, String)>, XyzError> {
    let mut pairs = Vec::new();
    let mut chars = line.chars().peekable();
    let read_token = |chars: &mut std::iter::Peekable<std::str::Chars>,
                      stop_at_equals: bool|
     -> Result<String, XyzError> {
        let mut token = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => {
                        return error(line_number, "unterminated quoted value in the comment line");
                    }
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(c) => token.push(c),
                        None => {
                            return error(
                                line_number,
                                "unterminated quoted value in the comment line",
                            );
                        }
                    },
                    Some(c) => token.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() || (stop_at_equals && c == '=') {
                    break;
                }
                token.push(c);
                chars.next();
            }
        }
        Ok(token)
    };
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek().is_none() {
            break;
        }
        let key = read_token(&mut chars, true)?;
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        if chars.peek() == Some(&'=') {
            chars.next();
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            let value = read_token(&mut chars, false)?;
            pairs.push((key, value));
        } else {
            pairs.push((key, "T".to_owned()));
        }
    }
    Ok(pairs)
}

fn parse_f64(token: &str, line: usize, what: &str) -> Result<f64, XyzError> {
    token
        .parse::<f64>()
        .or_else(|_| error(line, format!("{what}: {token:?} is not a number")))
}

/// One column group of the `Properties` key.
struct Property {
    name: String,
    kind: char,
    count: usize,
}

fn properties(value: &str, line: usize) -> Result<Vec<Property>, XyzError> {
    let fields: Vec<&str> = value.split(':').collect();
    if !fields.len().is_multiple_of(3) || fields.is_empty() {
        return error(
            line,
            format!("Properties={value:?} is not a list of name:type:count triples"),
        );
    }
    fields
        .chunks(3)
        .map(|t| {
            let kind = match t[1] {
                "S" | "R" | "I" | "L" => t[1].chars().next().unwrap(),
                other => return error(line, format!("Properties: column {:?} has unknown type {other:?} (expected S, R, I or L)", t[0])),
            };
            let count = t[2]
                .parse::<usize>()
                .ok()
                .filter(|&c| c > 0)
                .map_or_else(|| error(line, format!("Properties: column {:?} has count {:?}", t[0], t[2])), Ok)?;
            Ok(Property { name: t[0].to_owned(), kind, count })
        })
        .collect()
}

fn is_true(value: &str) -> bool {
    matches!(value, "T" | "True" | "true" | "1")
}

/// Reads one extended XYZ frame. With `wrap`, coordinates outside the box are mapped into it by periodic
/// images; without it they are an error.
pub fn parse(text: &str, wrap: bool) -> Result<Configuration, ReadError> {
    parse_frame(text, wrap)
        .map_err(ReadError::Syntax)
        .and_then(|c| c.check().map(|_| c).map_err(ReadError::Configuration))
}

fn parse_frame(text: &str, wrap: bool) -> Result<Configuration, XyzError> {
    let mut lines = text.lines().enumerate().map(|(k, l)| (k + 1, l));
    let (_, count_line) = lines
        .next()
        .map_or_else(|| error(1, "the file is empty"), Ok)?;
    let n: usize = count_line.trim().parse().or_else(|_| {
        error(
            1,
            format!(
                "the first line must hold the number of particles, not {:?}",
                count_line.trim()
            ),
        )
    })?;
    if n == 0 {
        return error(1, "the number of particles is 0");
    }
    let (_, comment) = lines.next().map_or_else(
        || error(2, "missing the comment line with Lattice and Properties"),
        Ok,
    )?;
    let info = key_values(comment, 2)?;
    let find = |key: &str| {
        info.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    };

    let lattice = find("Lattice").map_or_else(
        || error(2, "no Lattice key: pinch needs the periodic box"),
        Ok,
    )?;
    let cell: Vec<f64> = lattice
        .split_whitespace()
        .map(|t| parse_f64(t, 2, "Lattice"))
        .collect::<Result<_, _>>()?;
    if cell.len() != 9 {
        return error(2, format!("Lattice holds {} numbers, not 9", cell.len()));
    }
    let box_length = cell[0];
    let off_diagonal = [1, 2, 3, 5, 6, 7].iter().any(|&k| cell[k] != 0.0);
    let unequal = cell[4] != box_length || cell[8] != box_length;
    if off_diagonal || unequal {
        return error(
            2,
            format!(
                "Lattice=\"{lattice}\" is not a cubic box aligned with the axes; pinch supports cubic periodic boxes only"
            ),
        );
    }
    if let Some(pbc) = find("pbc") {
        let flags: Vec<&str> = pbc.split_whitespace().collect();
        if flags.len() != 3 || !flags.iter().all(|f| is_true(f)) {
            return error(
                2,
                format!("pbc=\"{pbc}\": pinch needs a box periodic in all three directions"),
            );
        }
    }

    let columns = properties(find("Properties").unwrap_or("species:S:1:pos:R:3"), 2)?;
    let width: usize = columns.iter().map(|p| p.count).sum();
    let mut offset = 0;
    let (mut position_column, mut size_column) = (None, None);
    for p in &columns {
        match (p.name.as_str(), p.kind, p.count) {
            ("pos", 'R', 3) => position_column = Some(offset),
            ("pos", _, _) => return error(2, "Properties: pos must be of type R with 3 columns"),
            ("lambda", 'R', 1) => size_column = Some((offset, 1.0, 0)),
            ("size", 'R', 1) if size_column.is_none_or(|(_, _, rank)| rank > 1) => {
                size_column = Some((offset, 1.0, 1))
            }
            ("radius", 'R', 1) if size_column.is_none() => size_column = Some((offset, 2.0, 2)),
            _ => {}
        }
        offset += p.count;
    }
    let position_column =
        position_column.map_or_else(|| error(2, "Properties has no pos:R:3 column"), Ok)?;
    let (size_column, size_factor, _) =
        size_column.map_or_else(|| error(2, "Properties has no particle-size column: expected lambda:R:1 (or size:R:1 or radius:R:1)"), Ok)?;

    let mut positions = Vec::with_capacity(n.min(text.len() / 8));
    let mut sizes = Vec::with_capacity(n.min(text.len() / 8));
    for k in 0..n {
        let (line, row) = lines.next().map_or_else(
            || error(k + 3, format!("the file ends after {k} of {n} particles")),
            Ok,
        )?;
        let tokens: Vec<&str> = row.split_whitespace().collect();
        if tokens.len() != width {
            return error(
                line,
                format!("{} columns where Properties declares {width}", tokens.len()),
            );
        }
        let mut position = [0.0; 3];
        for (a, x) in position.iter_mut().enumerate() {
            *x = parse_f64(tokens[position_column + a], line, "position")?;
        }
        if wrap {
            Configuration::wrap(box_length, std::slice::from_mut(&mut position));
        }
        positions.push(position);
        sizes.push(size_factor * parse_f64(tokens[size_column], line, "size")?);
    }
    if let Some((line, _)) = lines.find(|(_, l)| !l.trim().is_empty()) {
        return error(
            line,
            format!("unexpected content after the {n} particles: pinch reads single-frame files"),
        );
    }
    Ok(Configuration {
        box_length,
        positions,
        sizes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelParameters, random_configuration};

    fn syntax(text: &str) -> XyzError {
        match parse(text, false) {
            Err(ReadError::Syntax(e)) => e,
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    const HEADER: &str = "Lattice=\"10.0 0.0 0.0 0.0 10.0 0.0 0.0 0.0 10.0\" Properties=species:S:1:pos:R:3:lambda:R:1 pbc=\"T T T\"";

    #[test]
    fn round_trip_is_bit_exact() {
        let c = random_configuration(&ModelParameters::default(), 500, 42);
        let text = format(&c);
        let back = parse(&text, false).unwrap();
        assert_eq!(back.box_length.to_bits(), c.box_length.to_bits());
        for (a, b) in back
            .positions
            .iter()
            .flatten()
            .zip(c.positions.iter().flatten())
        {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        for (a, b) in back.sizes.iter().zip(&c.sizes) {
            assert_eq!(a.to_bits(), b.to_bits());
        }
        assert_eq!(format(&back), text);
    }

    #[test]
    fn reads_files_written_by_ase_and_matscipy() {
        // ASE writes `size` for matscipy's size array, with a species and extra columns.
        let text = "2\nLattice=\"10.0 0.0 0.0 0.0 10.0 0.0 0.0 0.0 10.0\" Properties=species:S:1:pos:R:3:size:R:1:forces:R:3 energy=-1.5 pbc=\"T T T\"\nH 1.0 2.0 3.0 1.3 0.0 0.0 0.0\nH 4.0 5.0 6.0 2.2 0.0 0.0 0.0\n";
        let c = parse(text, false).unwrap();
        assert_eq!(c.sizes, vec![1.3, 2.2]);
        assert_eq!(c.positions[1], [4.0, 5.0, 6.0]);
        let radius = format!("1\n{}\nX 1 2 3 0.75\n", HEADER.replace("lambda", "radius"));
        assert_eq!(parse(&radius, false).unwrap().sizes, vec![1.5]);
    }

    #[test]
    fn malformed_files_say_where_and_what() {
        assert_eq!(syntax("").message, "the file is empty");
        assert_eq!(syntax("two\n").line, 1);
        assert!(syntax("0\n").message.contains("is 0"));
        assert!(syntax("1\n").message.contains("comment line"));
        assert!(
            syntax("1\nProperties=species:S:1:pos:R:3\n")
                .message
                .contains("Lattice")
        );
        let e = syntax(
            "1\nLattice=\"10 0 0 0 11 0 0 0 10\" Properties=species:S:1:pos:R:3:lambda:R:1\nX 1 2 3 1\n",
        );
        assert!(e.message.contains("cubic"), "{e:?}");
        let e = syntax(
            "1\nLattice=\"10 0 0 0 10 0 0 0 10\" pbc=\"T T F\" Properties=species:S:1:pos:R:3:lambda:R:1\nX 1 2 3 1\n",
        );
        assert!(e.message.contains("periodic"), "{e:?}");
        let e =
            syntax("1\nLattice=\"10 0 0 0 10 0 0 0 10\" Properties=species:S:1:pos:R:3\nX 1 2 3\n");
        assert!(e.message.contains("particle-size column"), "{e:?}");
        let e = syntax(&format!("3\n{HEADER}\nX 1 2 3 1\nX 1 2 3 1\n"));
        assert_eq!(
            (e.line, e.message.as_str()),
            (5, "the file ends after 2 of 3 particles")
        );
        let e = syntax(&format!("1\n{HEADER}\nX 1 2 3\n"));
        assert_eq!(e.line, 3);
        assert!(e.message.contains("columns"));
        let e = syntax(&format!("1\n{HEADER}\nX 1 two 3 1\n"));
        assert!(e.message.contains("\"two\" is not a number"), "{e:?}");
        let e = syntax(&format!("1\n{HEADER}\nX 1 2 3 1\n1\n"));
        assert!(e.message.contains("single-frame"));
        let e = syntax("1\nLattice=\"10 0 0 0 10 0 0 0 10 Properties=pos:R:3\n");
        assert!(e.message.contains("unterminated"));
    }

    #[test]
    fn bad_values_are_configuration_errors() {
        let check = |row: &str| match parse(&format!("1\n{HEADER}\n{row}\n"), false) {
            Err(ReadError::Configuration(e)) => e,
            other => panic!("{other:?}"),
        };
        assert!(matches!(
            check("X nan 2 3 1"),
            ConfigurationError::NonFinitePosition { axis: 'x', .. }
        ));
        assert!(matches!(
            check("X 1 inf 3 1"),
            ConfigurationError::NonFinitePosition { axis: 'y', .. }
        ));
        assert!(matches!(
            check("X 1 2 10.5 1"),
            ConfigurationError::OutsideBox { axis: 'z', .. }
        ));
        assert!(matches!(
            check("X 1 2 -0.5 1"),
            ConfigurationError::OutsideBox { .. }
        ));
        assert!(matches!(
            check("X 1 2 3 0"),
            ConfigurationError::BadSize { .. }
        ));
        assert!(matches!(
            check("X 1 2 3 -1.2"),
            ConfigurationError::BadSize { .. }
        ));
        // With wrapping, an outside coordinate is mapped into the box.
        let c = parse(&format!("1\n{HEADER}\nX 1 2 -0.5 1\n"), true).unwrap();
        assert_eq!(c.positions[0][2], 9.5);
    }
}
