//! `#[derive(Module)]` refuses what it cannot list, with a message at the
//! field: a tuple struct (fields need names: they are the state-dict
//! names), an unknown attribute, and a field that is neither a module nor
//! marked `skip` or `buffer`. The expected compiler output sits beside each
//! case (`derive_errors/*.stderr`).

#[test]
fn derive_module_rejects_what_it_cannot_list() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/derive_errors/*.rs");
}
