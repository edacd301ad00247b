/// The fixed parts of the report page: the timeline's controls, its canvas and the selection panel
/// (here), its style sheet (`ReportPage+Style.swift`) and its script (`ReportPage+Script.swift`).
enum ReportPage {
    /// The timeline section: toolbar (filter, heartbeats, zoom), canvas, key help, legend, selection.
    static func timelineHTML(legend: [ReportMark.Kind]) -> String {
        var html = """
            <main>
            <h2 id="gt-h-timeline">Timeline</h2>
            <div class="toolbar" role="toolbar" aria-label="Timeline controls">
            <label for="gt-filter">Filter</label>
            <input id="gt-filter" type="search" autocomplete="off" spellcheck="false" placeholder="MESSAGE_CREATE   op:1   route:/messages   text:&quot;pong 3&quot;" aria-describedby="gt-filter-help">
            <label class="check"><input type="checkbox" id="gt-heartbeats" checked> Show heartbeats</label>
            <button type="button" id="gt-zoom-in" aria-label="Zoom in">+</button>
            <button type="button" id="gt-zoom-out" aria-label="Zoom out">−</button>
            <button type="button" id="gt-fit">Fit all</button>
            <span id="gt-status" role="status" aria-live="polite"></span>
            </div>
            <p id="gt-filter-help" class="help">Words match names (event, opcode, REST route, control action); <code>event:</code>, <code>op:</code> (number or name), <code>route:</code> and <code>text:</code> (anywhere in the JSON) narrow further; every word must match. Quotes keep spaces: <code>text:"pong 3"</code>.</p>
            <div id="gt-timeline"><canvas id="gt-canvas" tabindex="0" role="application" aria-roledescription="timeline" aria-labelledby="gt-h-timeline" aria-describedby="gt-keys gt-status"></canvas></div>
            <p id="gt-keys" class="help">Mouse: the wheel zooms, shift+wheel or dragging pans, a click selects a mark. Keys on the timeline: ← → previous / next mark in the lane, ↑ ↓ the lane above / below, Home / End first / last mark of the lane, + − zoom, 0 fit, Page Up / Page Down pan.</p>
            <ul class="legend" aria-label="Legend">

            """
        for kind in legend {
            html += "<li><span class=\"swatch\" style=\"background:\(kind.color)\"></span>\(HTML.escape(kind.label))</li>\n"
        }
        html += """
            </ul>
            <section id="gt-detail" aria-labelledby="gt-h-detail">
            <h2 id="gt-h-detail">Selected</h2>
            <p id="gt-detail-meta" aria-live="polite">Nothing selected: click a mark, or focus the timeline and press →.</p>
            <pre id="gt-json" tabindex="0" aria-label="JSON of the selected mark"></pre>
            </section>
            </main>

            """
        return html
    }
}
