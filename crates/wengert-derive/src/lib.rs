//! # wengert-derive
//!
//! `#[derive(Module)]`, re-exported by wengert-nn (and by the `wengert`
//! facade): from a struct's named fields it writes the two lists a module
//! must give, [`Parameters`] (from wengert-tensor) and `ModuleParts` (from
//! wengert-nn), so a custom module only writes `forward`. A list the
//! compiler writes cannot forget a child; a forgotten child is a silent
//! bug (never trained, never saved).
//!
//! [`Parameters`]: https://docs.rs/wengert-tensor
//!
//! ## What each field becomes
//!
//! | field | becomes | named |
//! | --- | --- | --- |
//! | `Param<T>` | a parameter | `field` |
//! | `Option<Param<T>>` | a parameter when present | `field` |
//! | `Vec<Param<T>>` | parameters | `field.0`, `field.1`, ... |
//! | any other type (`Linear<T>`, `Box<dyn Module<T>>`, ...) | a child module | `field.*` |
//! | `Option<M>` | a child when present | `field.*` |
//! | `Vec<M>` | children | `field.0.*`, `field.1.*`, ... |
//! | `#[module(buffer)]` | buffers (the type implements `Buffers`) | `field`, or `field.*` |
//! | `#[module(flatten)]` | a child (or buffer) whose names are not prefixed | `*` |
//! | `#[module(skip)]` | nothing (settings, sizes, caches) | |
//!
//! Parameters are listed before children, then buffers before children's
//! buffers, each in field order: the order of PyTorch's `state_dict()`
//! (a module's own parameters, its own buffers, then its children's).
//!
//! The float type is found, in this order: the struct's own type parameter
//! bounded by `Float` (`struct Net<T: Float>`), `#[module(float = f32)]` on
//! the struct, the `f32` or `f64` its fields name (`struct Net { fc:
//! Linear<f32> }`); a struct of float-agnostic layers only (`Dropout`,
//! `ReLU`) is a module of every float type. A field that is not a module
//! (a size, a setting) without `#[module(skip)]` is then a compile error at
//! that field.
//! `type_name` is the struct's name, or the one given by
//! `#[module(type_name = "...")]` on the struct.

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as Tokens};
use quote::{format_ident, quote, quote_spanned};
use syn::{
    parse_macro_input, spanned::Spanned, Data, DeriveInput, Fields, GenericArgument, Ident,
    PathArguments, Type,
};

/// Derives `wengert_tensor::Parameters` and `wengert_nn::ModuleParts` from
/// a struct's fields; see the crate docs for how each field is read.
#[proc_macro_derive(Module, attributes(module))]
pub fn derive_module(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// How a field takes part in the module.
enum Role {
    /// `Param<T>`, `Option<Param<T>>` or `Vec<Param<T>>`.
    Param(Shape),
    /// A child module, or `Option`/`Vec` of them.
    Child(Shape),
    /// `#[module(buffer)]`.
    Buffer,
    /// `#[module(skip)]`.
    Skip,
}

/// One value, an optional one, or a list.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    One,
    Optional,
    List,
}

struct Field {
    ident: Ident,
    /// Where the field's type is written: errors about it point there.
    span: Span,
    /// The type of one item (inside `Option`/`Vec`), for the bounds.
    item: Type,
    role: Role,
    flatten: bool,
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let nn = nn_path();
    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => named
                .named
                .iter()
                .map(read_field)
                .collect::<syn::Result<Vec<_>>>()?,
            Fields::Unit => Vec::new(),
            Fields::Unnamed(_) => {
                return Err(syn::Error::new(
                    input.span(),
                    "derive(Module) needs named fields: a field's name is its name in the state dict",
                ))
            }
        },
        _ => {
            return Err(syn::Error::new(
                input.span(),
                "derive(Module) works on structs (a module's fields are its parameters, children and buffers)",
            ))
        }
    };

    let name = &input.ident;
    let attrs = struct_attrs(input)?;
    let type_name = attrs.type_name;
    let (_, ty_generics, where_clause) = input.generics.split_for_impl();
    let mut generics = input.generics.clone();
    // The float type: the struct's own `T: Float`, else the one named by
    // `#[module(float = f32)]`, else the one its fields name (`Linear<f32>`),
    // else any (a struct of float-agnostic layers such as Dropout). Being
    // concrete wherever it can be is what makes a field that is not a module
    // an error at that field, instead of an impl that never applies.
    let float: Tokens = match (float_param(input), attrs.float, fields_float(&fields)?) {
        (Some(param), _, _) => quote!(#param),
        (None, Some(ty), _) | (None, None, Some(ty)) => quote!(#ty),
        (None, None, None) => {
            let fresh = Ident::new("__WengertFloat", Span::call_site());
            generics
                .params
                .push(syn::parse_quote!(#fresh: #nn::__derive::Float));
            quote!(#fresh)
        }
    };
    let (impl_generics, _, _) = generics.split_for_impl();
    let where_all = quote!(#where_clause);

    let params = visit_params(&fields, &nn, &float, false);
    let params_mut = visit_params(&fields, &nn, &float, true);
    let children = visit_children(&fields, &nn, &float, false);
    let children_mut = visit_children(&fields, &nn, &float, true);
    let buffers = visit_buffers(&fields, &nn, &float, false);
    let buffers_mut = visit_buffers(&fields, &nn, &float, true);

    Ok(quote! {
        impl #impl_generics #nn::__derive::Parameters<#float> for #name #ty_generics #where_all {
            fn visit_params<'__s>(
                &'__s self,
                f: &mut dyn FnMut(&str, &'__s #nn::__derive::Param<#float>),
            ) {
                #params
            }
            fn visit_params_mut<'__s>(
                &'__s mut self,
                f: &mut dyn FnMut(&str, &'__s mut #nn::__derive::Param<#float>),
            ) {
                #params_mut
            }
        }

        impl #impl_generics #nn::ModuleParts<#float> for #name #ty_generics #where_all {
            fn type_name(&self) -> &'static str {
                #type_name
            }
            fn visit_children<'__s>(
                &'__s self,
                f: &mut dyn FnMut(&str, &'__s dyn #nn::Module<#float>),
            ) {
                #children
            }
            fn visit_children_mut<'__s>(
                &'__s mut self,
                f: &mut dyn FnMut(&str, &'__s mut dyn #nn::Module<#float>),
            ) {
                #children_mut
            }
            fn visit_buffers(&self, f: &mut dyn FnMut(&str, #nn::BufferRef<'_, #float>)) {
                #buffers
            }
            fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, #nn::BufferMut<'_, #float>)) {
                #buffers_mut
            }
        }
    })
}

/// What the attributes on the struct itself say.
struct StructAttrs {
    /// The struct's name, or the one given by `#[module(type_name = "...")]`
    /// (PyTorch's name, where it differs: `AdaptiveAvgPool2d`).
    type_name: String,
    /// `#[module(float = f32)]`.
    float: Option<Type>,
}

fn struct_attrs(input: &DeriveInput) -> syn::Result<StructAttrs> {
    let mut attrs = StructAttrs {
        type_name: input.ident.to_string(),
        float: None,
    };
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("module")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("type_name") {
                let value: syn::LitStr = meta.value()?.parse()?;
                attrs.type_name = value.value();
                Ok(())
            } else if meta.path.is_ident("float") {
                attrs.float = Some(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(meta.error(
                    "unknown module attribute on a struct: expected `type_name = \"...\"` or `float = f32`",
                ))
            }
        })?;
    }
    Ok(attrs)
}

/// The struct's type parameter bounded by `Float` (`struct Net<T: Float>`,
/// or `where T: Float`), if it has one.
fn float_param(input: &DeriveInput) -> Option<Ident> {
    let is_float = |bound: &syn::TypeParamBound| {
        matches!(bound, syn::TypeParamBound::Trait(t)
            if t.path.segments.last().is_some_and(|s| s.ident == "Float"))
    };
    for param in input.generics.type_params() {
        if param.bounds.iter().any(is_float) {
            return Some(param.ident.clone());
        }
    }
    let where_clause = input.generics.where_clause.as_ref()?;
    for predicate in &where_clause.predicates {
        if let syn::WherePredicate::Type(p) = predicate {
            if let Type::Path(ty) = &p.bounded_ty {
                if let Some(ident) = ty.path.get_ident() {
                    if p.bounds.iter().any(is_float) {
                        return Some(ident.clone());
                    }
                }
            }
        }
    }
    None
}

/// `f32` or `f64`, if the listed fields' types name one (and only one).
fn fields_float(fields: &[Field]) -> syn::Result<Option<Type>> {
    fn find(tokens: Tokens, found: &mut Vec<(String, Span)>) {
        for tree in tokens {
            match tree {
                proc_macro2::TokenTree::Ident(i) if i == "f32" || i == "f64" => {
                    found.push((i.to_string(), i.span()))
                }
                proc_macro2::TokenTree::Group(g) => find(g.stream(), found),
                _ => {}
            }
        }
    }
    let mut found = Vec::new();
    for f in fields.iter().filter(|f| !matches!(f.role, Role::Skip)) {
        let ty = &f.item;
        find(quote!(#ty), &mut found);
    }
    let Some((first, _)) = found.first().cloned() else {
        return Ok(None);
    };
    if let Some((_, span)) = found.iter().find(|(name, _)| *name != first) {
        return Err(syn::Error::new(
            *span,
            "the fields of a module mix f32 and f64; one module computes in one float type",
        ));
    }
    Ok(Some(syn::parse_str(&first).expect("f32 and f64 are types")))
}

/// The path of wengert-nn as the deriving crate sees it: `::wengert_nn`
/// when it depends on wengert-nn (or is it: the crate names itself so),
/// else `::wengert::nn` through the facade.
fn nn_path() -> Tokens {
    use proc_macro_crate::{crate_name, FoundCrate};
    match crate_name("wengert-nn") {
        Ok(FoundCrate::Name(name)) => {
            let ident = format_ident!("{name}");
            quote!(::#ident)
        }
        Ok(FoundCrate::Itself) => quote!(::wengert_nn),
        Err(_) => match crate_name("wengert") {
            Ok(FoundCrate::Name(name)) => {
                let ident = format_ident!("{name}");
                quote!(::#ident::nn)
            }
            _ => quote!(::wengert_nn),
        },
    }
}

fn read_field(field: &syn::Field) -> syn::Result<Field> {
    let ident = field.ident.clone().expect("named fields have names");
    let (mut buffer, mut skip, mut flatten) = (false, false, false);
    for attr in field.attrs.iter().filter(|a| a.path().is_ident("module")) {
        attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("buffer") {
                buffer = true;
            } else if meta.path.is_ident("skip") {
                skip = true;
            } else if meta.path.is_ident("flatten") {
                flatten = true;
            } else {
                return Err(
                    meta.error("unknown module attribute: expected `buffer`, `skip` or `flatten`")
                );
            }
            Ok(())
        })?;
    }
    if skip && (buffer || flatten) {
        return Err(syn::Error::new(
            field.span(),
            "a `skip` field takes no other module attribute",
        ));
    }
    let (shape, item) = match wrapper(&field.ty) {
        Some(("Option", inner)) => (Shape::Optional, inner.clone()),
        Some(("Vec", inner)) => (Shape::List, inner.clone()),
        _ => (Shape::One, field.ty.clone()),
    };
    let role = if skip {
        Role::Skip
    } else if buffer {
        Role::Buffer
    } else if last_segment_is(&item, "Param") {
        Role::Param(shape)
    } else {
        Role::Child(shape)
    };
    let item = match role {
        // Buffers are read whole (a `RefCell` of statistics, a tensor).
        Role::Buffer => field.ty.clone(),
        _ => item,
    };
    if flatten && !matches!(role, Role::Child(Shape::One) | Role::Buffer) {
        return Err(syn::Error::new(
            field.span(),
            "`flatten` applies to one child module or one buffer field",
        ));
    }
    Ok(Field {
        ident,
        span: field.ty.span(),
        item,
        role,
        flatten,
    })
}

/// `Some(("Option", T))` for `Option<T>`, likewise `Vec`.
fn wrapper(ty: &Type) -> Option<(&'static str, &Type)> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    let kind = match last.ident.to_string().as_str() {
        "Option" => "Option",
        "Vec" => "Vec",
        _ => return None,
    };
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        GenericArgument::Type(inner) if args.args.len() == 1 => Some((kind, inner)),
        _ => None,
    }
}

fn last_segment_is(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == name))
}

/// `&self.x` or `&mut self.x`, spanned at the field's type, so that a
/// field of the wrong kind is reported where it is declared.
fn field_ref(ident: &Ident, span: Span, mutable: bool) -> Tokens {
    if mutable {
        quote_spanned!(span=> &mut self.#ident)
    } else {
        quote_spanned!(span=> &self.#ident)
    }
}

fn iter_method(mutable: bool) -> Tokens {
    if mutable {
        quote!(iter_mut)
    } else {
        quote!(iter)
    }
}

/// The body of `visit_params`: own parameters first, then children's.
fn visit_params(fields: &[Field], nn: &Tokens, float: &Tokens, mutable: bool) -> Tokens {
    let visit = if mutable {
        quote!(visit_params_mut)
    } else {
        quote!(visit_params)
    };
    let trait_path = quote!(#nn::__derive::Parameters::<#float>);
    let iter = iter_method(mutable);
    let mut own = Vec::new();
    let mut children = Vec::new();
    for f in fields {
        let ident = &f.ident;
        let span = f.span;
        let name = ident.to_string();
        let at = field_ref(ident, f.span, mutable);
        match &f.role {
            // A parameter field is named by the field, whatever the
            // parameter calls itself.
            Role::Param(Shape::One) => own.push(quote_spanned! {span=>
                #trait_path::#visit(#at, &mut |_, p| f(#name, p));
            }),
            Role::Param(Shape::Optional) => own.push(quote_spanned! {span=>
                if let Some(item) = #at {
                    #trait_path::#visit(item, &mut |_, p| f(#name, p));
                }
            }),
            Role::Param(Shape::List) => own.push(quote_spanned! {span=>
                for (i, item) in self.#ident.#iter().enumerate() {
                    let name = ::std::format!("{}.{}", #name, i);
                    #trait_path::#visit(item, &mut |_, p| f(&name, p));
                }
            }),
            Role::Child(_) if f.flatten => children.push(quote_spanned! {span=>
                #trait_path::#visit(#at, f);
            }),
            Role::Child(Shape::One) => children.push(quote_spanned! {span=>
                #trait_path::#visit(#at, &mut |n, p| f(&#nn::join_name(#name, n), p));
            }),
            Role::Child(Shape::Optional) => children.push(quote_spanned! {span=>
                if let Some(item) = #at {
                    #trait_path::#visit(item, &mut |n, p| f(&#nn::join_name(#name, n), p));
                }
            }),
            Role::Child(Shape::List) => children.push(quote_spanned! {span=>
                for (i, item) in self.#ident.#iter().enumerate() {
                    let prefix = ::std::format!("{}.{}", #name, i);
                    #trait_path::#visit(item, &mut |n, p| f(&#nn::join_name(&prefix, n), p));
                }
            }),
            Role::Buffer | Role::Skip => {}
        }
    }
    quote! {
        let _ = &f;
        #(#own)*
        #(#children)*
    }
}

/// The body of `visit_children`.
fn visit_children(fields: &[Field], nn: &Tokens, float: &Tokens, mutable: bool) -> Tokens {
    let iter = iter_method(mutable);
    let parts = quote!(#nn::ModuleParts::<#float>);
    let visit = if mutable {
        quote!(visit_children_mut)
    } else {
        quote!(visit_children)
    };
    let calls = fields.iter().filter_map(|f| {
        let ident = &f.ident;
        let span = f.span;
        let name = ident.to_string();
        let at = field_ref(ident, f.span, mutable);
        let Role::Child(shape) = f.role else {
            return None;
        };
        Some(match (shape, f.flatten) {
            (_, true) => quote_spanned!(span=> #parts::#visit(#at, f);),
            (Shape::One, false) => quote_spanned!(span=> f(#name, #at);),
            (Shape::Optional, false) => quote_spanned! {span=>
                if let Some(item) = #at {
                    f(#name, item);
                }
            },
            (Shape::List, false) => quote_spanned! {span=>
                for (i, item) in self.#ident.#iter().enumerate() {
                    f(&::std::format!("{}.{}", #name, i), item);
                }
            },
        })
    });
    quote! {
        let _ = &f;
        #(#calls)*
    }
}

/// The body of `visit_buffers`: own buffers first, then children's.
fn visit_buffers(fields: &[Field], nn: &Tokens, float: &Tokens, mutable: bool) -> Tokens {
    let iter = iter_method(mutable);
    let (visit, parts_visit) = if mutable {
        (quote!(visit_buffers_mut), quote!(visit_buffers_mut))
    } else {
        (quote!(visit_buffers), quote!(visit_buffers))
    };
    let buffers = quote!(#nn::Buffers::<#float>);
    let parts = quote!(#nn::ModuleParts::<#float>);
    let mut own = Vec::new();
    let mut children = Vec::new();
    for f in fields {
        let ident = &f.ident;
        let span = f.span;
        let name = ident.to_string();
        let at = field_ref(ident, f.span, mutable);
        match (&f.role, f.flatten) {
            (Role::Buffer, true) => own.push(quote_spanned!(span=> #buffers::#visit(#at, f);)),
            (Role::Buffer, false) => own.push(quote_spanned! {span=>
                #buffers::#visit(#at, &mut |n, b| f(&#nn::join_name(#name, n), b));
            }),
            (Role::Child(_), true) => {
                children.push(quote_spanned!(span=> #parts::#parts_visit(#at, f);))
            }
            (Role::Child(Shape::One), false) => children.push(quote_spanned! {span=>
                #parts::#parts_visit(#at, &mut |n, b| f(&#nn::join_name(#name, n), b));
            }),
            (Role::Child(Shape::Optional), false) => children.push(quote_spanned! {span=>
                if let Some(item) = #at {
                    #parts::#parts_visit(item, &mut |n, b| f(&#nn::join_name(#name, n), b));
                }
            }),
            (Role::Child(Shape::List), false) => children.push(quote_spanned! {span=>
                for (i, item) in self.#ident.#iter().enumerate() {
                    let prefix = ::std::format!("{}.{}", #name, i);
                    #parts::#parts_visit(item, &mut |n, b| f(&#nn::join_name(&prefix, n), b));
                }
            }),
            _ => {}
        }
    }
    quote! {
        let _ = &f;
        #(#own)*
        #(#children)*
    }
}
