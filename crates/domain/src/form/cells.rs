//! The submission list as CSV: the header and each row's cells, defused against spreadsheet formulas.

use super::{Schema, Values, text_of};

/// Text a spreadsheet will not run as a formula: a cell starting with `=`, `+`, `@`, a tab or a
/// carriage return, or `-` when it is not a number, gets a leading `'`.
pub fn spreadsheet_safe(text: String) -> String {
    let risky = match text.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => text.parse::<f64>().is_err(),
        _ => false,
    };
    if risky { format!("'{text}") } else { text }
}

/// The CSV header of a form's fields: their labels, in order.
pub fn csv_header(schema: &Schema) -> Vec<String> {
    schema.fields.iter().map(|f| spreadsheet_safe(f.label.trim().to_owned())).collect()
}

/// One submission's cells, in the order of [`csv_header`]: text as is, lists (multiple choice,
/// attachments) joined with `; `, missing values empty. Cells a spreadsheet would run as formulas
/// are defused with a leading `'`.
pub fn csv_cells(schema: &Schema, values: &Values) -> Vec<String> {
    schema.fields.iter().map(|f| spreadsheet_safe(values.get(&f.key).map(text_of).unwrap_or_default())).collect()
}
