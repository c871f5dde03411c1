//! The WebAssembly entry point. cargo-leptos builds it with `hydrate` (take over the
//! server-rendered page); Trunk builds it with `csr` (render the whole page in the browser).

/// Hydrates the page, which names the build of the app that rendered it: a page from another
/// build would not match this bundle's views, and hydrating it would fail part-way.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate(page_build: String) {
    report_panics();
    if page_build != app::build_id::id() {
        leptos::logging::error!(
            "this page was rendered by build {page_build} of the app, and this bundle is build {}: \
             not hydrating it (rebuild and ship the server and the site together)",
            app::build_id::id()
        );
        return;
    }
    // For the board benchmark: hydration's own share of the time to interactive.
    if let Some(performance) = leptos::prelude::window().performance() {
        let _ = performance.mark("scrum:hydrate-start");
    }
    leptos::mount::hydrate_body(app::App);
}

#[cfg(feature = "csr")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    report_panics();
    app::components::preferences::restore_remembered();
    leptos::mount::mount_to_body(app::App);
}

/// Panic messages go to the browser console. The release bundle is built with
/// `-Cpanic=immediate-abort`, where a panic stops at once and never reaches a hook, so there
/// the hook (and the formatting it would pull in) is left out.
#[cfg(any(feature = "hydrate", feature = "csr"))]
fn report_panics() {
    #[cfg(not(panic = "immediate-abort"))]
    console_error_panic_hook::set_once();
}
