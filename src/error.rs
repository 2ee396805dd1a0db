//! The crate's error type: every fallible core call returns `Result<T>`; messages name the op and shapes.
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// Two operands whose shapes do not fit together.
    ShapeMismatch {
        op: String,
        lhs: Vec<usize>,
        rhs: Vec<usize>,
        why: String,
    },
    /// A shape that is wrong on its own (a reshape that does not fit, a bad axis).
    Shape { op: String, msg: String },
    /// A value outside the accepted domain (a label of 10 for 10 classes, a negative rate).
    InvalidArgument { op: String, msg: String },
    /// Autograd misuse: a second backward through a freed graph, backward on a non-scalar.
    Graph(String),
    /// Index out of range.
    Index { op: String, msg: String },
    /// The allocator refused a buffer of the size an op asked for.
    OutOfMemory { op: String, msg: String },
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn shape_mismatch(op: &str, lhs: &[usize], rhs: &[usize], why: impl Into<String>) -> Self {
        Error::ShapeMismatch {
            op: op.into(),
            lhs: lhs.to_vec(),
            rhs: rhs.to_vec(),
            why: why.into(),
        }
    }
    pub fn shape(op: &str, msg: impl Into<String>) -> Self {
        Error::Shape {
            op: op.into(),
            msg: msg.into(),
        }
    }
    pub fn invalid(op: &str, msg: impl Into<String>) -> Self {
        Error::InvalidArgument {
            op: op.into(),
            msg: msg.into(),
        }
    }
    pub fn index(op: &str, msg: impl Into<String>) -> Self {
        Error::Index {
            op: op.into(),
            msg: msg.into(),
        }
    }
}

/// Shapes are printed like Python tuples so messages read the same from Rust and Python.
pub fn fmt_shape(s: &[usize]) -> String {
    match s.len() {
        1 => format!("({},)", s[0]),
        _ => format!(
            "({})",
            s.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::ShapeMismatch { op, lhs, rhs, why } => {
                write!(
                    f,
                    "{op}: shapes {} and {} {why}",
                    fmt_shape(lhs),
                    fmt_shape(rhs)
                )
            }
            Error::Shape { op, msg } => write!(f, "{op}: {msg}"),
            Error::InvalidArgument { op, msg } => write!(f, "{op}: {msg}"),
            Error::Graph(msg) => write!(f, "{msg}"),
            Error::Index { op, msg } => write!(f, "{op}: {msg}"),
            Error::OutOfMemory { op, msg } => write!(f, "{op}: {msg}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// Prefix the op name with where it happened (e.g. which layer), keeping the error's kind.
    pub fn context(self, at: &str) -> Self {
        match self {
            Error::ShapeMismatch { op, lhs, rhs, why } => Error::ShapeMismatch {
                op: format!("{at}: {op}"),
                lhs,
                rhs,
                why,
            },
            Error::Shape { op, msg } => Error::Shape {
                op: format!("{at}: {op}"),
                msg,
            },
            Error::InvalidArgument { op, msg } => Error::InvalidArgument {
                op: format!("{at}: {op}"),
                msg,
            },
            Error::Index { op, msg } => Error::Index {
                op: format!("{at}: {op}"),
                msg,
            },
            Error::OutOfMemory { op, msg } => Error::OutOfMemory {
                op: format!("{at}: {op}"),
                msg,
            },
            Error::Graph(msg) => Error::Graph(format!("{at}: {msg}")),
        }
    }
}
