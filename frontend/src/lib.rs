//! The WebAssembly entry point. cargo-leptos builds it with `hydrate` (take over the
//! server-rendered page); Trunk builds it with `csr` (render the whole page in the browser).

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // For the board benchmark: hydration's own share of the time to interactive.
    if let Some(performance) = leptos::prelude::window().performance() {
        let _ = performance.mark("scrum:hydrate-start");
    }
    leptos::mount::hydrate_body(app::App);
}

#[cfg(feature = "csr")]
#[wasm_bindgen::prelude::wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}
