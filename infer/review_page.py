"""The review mode of the labels page (infer/html_view.py): its data, style and script.

A reviewer clicks a unit (or walks them with j/k), sees its scores against the model's thresholds and
toggles its labels (1-9), accepts it as it is (a) or undoes a review (u). Corrections stay in the
browser's localStorage under one key per document and model, so a reload keeps them, and the Export
button downloads the reviewed units as JSONL in the common schema with `reviewed`, `model_labels`,
`reviewer` and `reviewed_at` (docs/review.md). Nothing leaves the page: it works from a file.
"""

from __future__ import annotations

import json
from pathlib import Path

from clausetag.records import SUMMARY_RECORD, UNIT_RECORD
from clausetag.settings import defaults

#: localStorage keys: `PREFIX|document|model name|model created`, and the reviewer's name.
STORAGE_PREFIX, REVIEWER_KEY = "clausetag-review", "clausetag-reviewer"
#: The fields every exported correction carries besides the common schema's.
REVIEW_FIELDS = ("reviewed", "model_labels", "reviewer", "reviewed_at")


def page_model(records: list[dict], meta: dict) -> dict:
    """Which model labeled the page's units: name, created, folder (summary records of `clausetag label`
    name it; `meta["model_dir"]` or else `meta["model"]` gives the folder where they do not)."""
    found = next((r["model"] for r in records if r.get("type") == SUMMARY_RECORD and isinstance(r.get("model"), dict)),
                 {})
    folder = meta.get("model_dir") or found.get("path") or meta.get("model")
    name = found.get("name") or (Path(str(folder)).name if folder else "")
    return {"name": name or "", "created": found.get("created") or "", "path": str(folder) if folder else ""}


def model_thresholds(folder: str | Path | None) -> dict | None:
    """The per-label thresholds of a model folder (`default` and `by_language` rows), or None where the
    folder is gone or unreadable."""
    from clausetag.modeldir import ModelError, read_info

    if not folder:
        return None
    try:
        info = read_info(folder)
    except (ModelError, OSError, TypeError, ValueError):
        return None
    return {"default": {k: float(v) for k, v in info.thresholds.items()},
            "by_language": {lang: {k: float(v) for k, v in row.items()}
                            for lang, row in (info.thresholds_by_language or {}).items()}}


def review_data(records: list[dict], labels: list[str], meta: dict) -> dict:
    """Everything the review script needs: labels, units (in page order), thresholds, the model."""
    model = page_model(records, meta)
    settings = defaults()["review"]
    units = [{"id": str(r.get("id", "")), "doc": str(r.get("doc", "")), "lang": r.get("lang") or "",
              "section": r.get("section"), "text": r["text"], "labels": list(r["labels"]),
              "scores": r.get("scores") or {}} for r in records if r["type"] == UNIT_RECORD]
    thresholds = meta["thresholds"] if "thresholds" in meta else model_thresholds(model["path"])
    return {"labels": labels, "units": units, "thresholds": thresholds, "margin": settings["uncertain_margin"],
            "model": {"name": model["name"], "created": model["created"]}, "export_name": settings["export_name"],
            "storage": {"prefix": STORAGE_PREFIX, "reviewer": REVIEWER_KEY}}


def data_script(data: dict) -> str:
    """The data as a JSON script element (`<` escaped, so no text can close the element)."""
    return ("<script type='application/json' id='review-data'>"
            + json.dumps(data, ensure_ascii=False).replace("<", "\\u003c") + "</script>")


def panel_html(labels: list[str], has_thresholds: bool) -> str:
    """The review panel (hidden until review mode is on)."""
    import html

    options = "".join(f"<option value='{html.escape(l)}'>{html.escape(l)}</option>" for l in labels)
    unc = ("<label title='a score within the margin of its threshold'><input type='checkbox' id='rv-uncertain'> "
           "uncertain only</label>" if has_thresholds else
           "<label class='muted' title='the model folder was not found: its thresholds are unknown'>"
           "<input type='checkbox' id='rv-uncertain' disabled> uncertain only (no thresholds)</label>")
    return ("<aside id='rv-panel' aria-label='review'><div class='rv-row'><strong>Review</strong> "
            "<span id='rv-count' data-reviewed='0' data-corrected='0'></span></div>"
            "<div class='rv-row'><label>reviewer <input id='rv-reviewer' type='text' size='14' "
            "placeholder='your name'></label></div>"
            f"<div class='rv-row'>{unc} <label>label <select id='rv-label'><option value=''>any</option>{options}"
            "</select></label></div><div class='rv-row muted' id='rv-shown'></div>"
            "<div id='rv-unit'></div><div class='rv-row'>"
            "<button id='rv-prev' title='k or ←'>◀ prev</button> <button id='rv-next' title='j or →'>next ▶</button> "
            "<button id='rv-accept' title='a: accept the labels as they are'>accept</button> "
            "<button id='rv-undo' title='u: back to the model labels, not reviewed'>undo</button></div>"
            "<div class='rv-row'><button id='rv-export'>Export corrections (JSONL)</button> "
            "<span id='rv-msg' class='muted'></span></div>"
            "<p class='muted rv-keys'>keys: j/k or arrows next/previous · 1–9 toggle a label · a accept · "
            "u undo · Esc leave</p></aside>")


STYLE = """
#rv-toggle{margin-left:1em;background:#1d4ed8;color:#fff;border:0;border-radius:4px;padding:.15em .7em;cursor:pointer}
#rv-panel{display:none}
body.reviewing{margin-right:26em}
.reviewing #rv-panel{display:block;position:fixed;top:0;right:0;bottom:0;width:24em;overflow:auto;background:#fff;
 border-left:1px solid #ccc;padding:.6em 1em;z-index:3;font-size:14px}
#rv-panel button{background:#1d4ed8;color:#fff;border:0;border-radius:4px;padding:.2em .6em;cursor:pointer;font:inherit}
.rv-row{margin:.4em 0}.muted{color:#666}
.rv-text{background:#f3f4f6;padding:.4em;border-radius:4px;max-height:12em;overflow:auto}
ol.rv-labels{list-style:none;padding:0;margin:.4em 0}ol.rv-labels li{display:flex;justify-content:space-between}
ol.rv-labels .near{color:#b45309;font-weight:bold}ol.rv-labels .m{font-size:11px;color:#555}
kbd{border:1px solid #bbb;border-radius:3px;padding:0 .25em;font-size:11px}
.reviewing .u{cursor:pointer}
.reviewing .u.dim,.reviewing .u.dim+.tags{opacity:.3}
.u.sel{outline:2px solid #1d4ed8;outline-offset:1px}
.u.rv{box-shadow:inset 0 -2px #15803d}.u.rc{box-shadow:inset 0 -3px #b91c1c}
.tags.rv{color:#15803d}.tags.rc{color:#b91c1c;font-weight:bold}
.tags.rv::after{content:" ✓"}.tags.rc::after{content:" ✎"}
"""

SCRIPT = """
(()=>{
const RD=JSON.parse(document.getElementById('review-data').textContent);
const L=RD.labels,U=RD.units,M=RD.model,$=s=>document.querySelector(s);
const EL=[],TG=[];
document.querySelectorAll('.u[data-i]').forEach(e=>EL[+e.dataset.i]=e);
document.querySelectorAll('.tags[data-t]').forEach(e=>TG[+e.dataset.t]=e);
const key=d=>[RD.storage.prefix,d,M.name,M.created].join('|');
const store={};let saved=true,on=false,sel=-1;
U.forEach(u=>{if(!(u.doc in store)){let v=null;try{v=JSON.parse(localStorage.getItem(key(u.doc))||'{}');}catch(e){}
 store[u.doc]=v&&typeof v==='object'?v:{};}});
function save(doc){try{localStorage.setItem(key(doc),JSON.stringify(store[doc]));}catch(e){saved=false;}}
const rec=u=>store[u.doc][u.id];
const cur=u=>(rec(u)||u).labels;
const same=(a,b)=>a.length===b.length&&a.every(x=>b.includes(x));
const fixed=u=>!!rec(u)&&!same(rec(u).labels,u.labels);
const thr=(u,l)=>{const t=RD.thresholds;if(!t)return null;const row=(t.by_language||{})[u.lang]||t.default;
 return row&&row[l]!==undefined?row[l]:null;};
const near=(u,l)=>{const t=thr(u,l);return t!==null&&u.scores[l]!==undefined&&Math.abs(u.scores[l]-t)<=RD.margin;};
const esc=s=>String(s).replace(/[&<>"']/g,c=>'&#'+c.charCodeAt(0)+';');
const fU=$('#rv-uncertain'),fL=$('#rv-label'),who=$('#rv-reviewer');
try{who.value=localStorage.getItem(RD.storage.reviewer)||'';}catch(e){}
who.addEventListener('input',()=>{try{localStorage.setItem(RD.storage.reviewer,who.value);}catch(e){}});
function shown(i){const u=U[i],l=fL.value;
 if(fU.checked)return l?near(u,l):L.some(x=>near(u,x));
 return !l||cur(u).includes(l);}
function paint(i){const u=U[i],e=EL[i],t=TG[i],r=!!rec(u),c=fixed(u);
 e.dataset.labels=cur(u).join(' ');e.classList.toggle('rv',r&&!c);e.classList.toggle('rc',c);
 if(t){t.textContent='['+cur(u).join(', ')+']';t.classList.toggle('rv',r&&!c);t.classList.toggle('rc',c);}}
function counts(){let n=0,c=0;U.forEach(u=>{if(rec(u)){n++;if(fixed(u))c++;}});const e=$('#rv-count');
 e.dataset.reviewed=n;e.dataset.corrected=c;
 e.textContent=n+' reviewed · '+c+' corrected'+(saved?'':' · NOT SAVED (browser storage unavailable)');}
function filter(){let n=0;U.forEach((u,i)=>{const ok=shown(i);EL[i].classList.toggle('dim',!ok);if(ok)n++;});
 $('#rv-shown').textContent=n+' of '+U.length+' units shown';}
function panel(){const box=$('#rv-unit');
 if(sel<0){box.innerHTML="<p class='muted'>Click a unit or press j.</p>";return;}
 const u=U[sel],c=cur(u),r=rec(u);
 let h="<p class='muted'>"+esc(u.doc)+(u.section?' · '+esc(u.section):'')+' · '+esc(u.lang)+'</p>'
  +"<div class='rv-text'>"+esc(u.text)+"</div><ol class='rv-labels'>";
 L.forEach((l,k)=>{const s=u.scores[l],t=thr(u,l);
  h+="<li><label><input type='checkbox' data-k='"+k+"'"+(c.includes(l)?' checked':'')+"> <kbd>"+(k<9?k+1:'')
   +'</kbd> '+esc(l)+(u.labels.includes(l)?" <span class='m'>(model)</span>":'')+"</label><span class='sc"
   +(near(u,l)?' near':'')+"'>"+(s===undefined?'–':s.toFixed(2))+(t===null?'':' / '+t.toFixed(2))+'</span></li>';});
 h+="</ol><p class='muted'>score / threshold"+(RD.thresholds?' · bold: within '+RD.margin+' of it':'')+'</p>'
  +"<p id='rv-state'>"+(r?(fixed(u)?'corrected':'accepted')+' '+esc(r.reviewed_at)+(r.reviewer?' by '+esc(r.reviewer):'')
  :'not reviewed')+'</p>';
 box.innerHTML=h;
 box.querySelectorAll('input[data-k]').forEach(b=>b.addEventListener('change',()=>toggle(sel,L[+b.dataset.k])));}
function update(i){paint(i);counts();if(i===sel)panel();if(typeof apply==='function')apply();}
function setLabels(i,labels){const u=U[i];
 store[u.doc][u.id]={labels:L.filter(l=>labels.includes(l)),reviewed_at:new Date().toISOString(),
  reviewer:who.value.trim()||null};save(u.doc);update(i);}
function toggle(i,l){const c=cur(U[i]).slice(),k=c.indexOf(l);if(k<0)c.push(l);else c.splice(k,1);setLabels(i,c);}
function undo(i){const u=U[i];delete store[u.doc][u.id];save(u.doc);update(i);}
function select(i){if(sel>=0&&EL[sel])EL[sel].classList.remove('sel');sel=i;
 if(i>=0){EL[i].classList.add('sel');EL[i].scrollIntoView({block:'center'});}panel();}
function move(d){for(let i=sel+d;i>=0&&i<U.length;i+=d){if(shown(i)){select(i);return;}}}
function mode(v){on=v;document.body.classList.toggle('reviewing',on);$('#rv-toggle').textContent=on?'Close review':'Review';
 if(on)filter();else{EL.forEach(e=>e.classList.remove('dim'));}}
function exportAll(){const out=[];
 U.forEach(u=>{const r=rec(u);if(r)out.push(JSON.stringify({id:u.id,doc:u.doc,lang:u.lang,text:u.text,section:u.section,
  labels:r.labels,reviewed:true,model_labels:u.labels,reviewer:r.reviewer||null,reviewed_at:r.reviewed_at}));});
 if(!out.length){$('#rv-msg').textContent='nothing reviewed yet';return;}
 const a=document.createElement('a');a.href=URL.createObjectURL(new Blob([out.join('\\n')+'\\n'],{type:'application/x-ndjson'}));
 a.download=RD.export_name;document.body.appendChild(a);a.click();
 setTimeout(()=>{URL.revokeObjectURL(a.href);a.remove();},5000);
 $('#rv-msg').textContent=out.length+' units exported to '+RD.export_name;}
EL.forEach((e,i)=>e.addEventListener('click',()=>{if(on)select(i);}));
$('#rv-toggle').addEventListener('click',()=>mode(!on));
$('#rv-prev').addEventListener('click',()=>move(-1));$('#rv-next').addEventListener('click',()=>move(1));
$('#rv-accept').addEventListener('click',()=>{if(sel>=0){setLabels(sel,cur(U[sel]));move(1);}});
$('#rv-undo').addEventListener('click',()=>{if(sel>=0)undo(sel);});
$('#rv-export').addEventListener('click',exportAll);
[fU,fL].forEach(f=>f.addEventListener('change',filter));
document.addEventListener('keydown',e=>{
 if(!on||e.ctrlKey||e.metaKey||e.altKey)return;const t=e.target;
 if(t&&t.matches&&t.matches("input[type=text],select,textarea"))return;const k=e.key;
 if(k==='j'||k==='ArrowDown'||k==='ArrowRight')move(1);
 else if(k==='k'||k==='ArrowUp'||k==='ArrowLeft')move(-1);
 else if(/^[1-9]$/.test(k)&&sel>=0&&+k<=L.length)toggle(sel,L[+k-1]);
 else if(k==='a'&&sel>=0){setLabels(sel,cur(U[sel]));move(1);}
 else if(k==='u'&&sel>=0)undo(sel);
 else if(k==='Escape')mode(false);
 else return;
 e.preventDefault();});
U.forEach((u,i)=>paint(i));counts();panel();if(typeof apply==='function')apply();
mode(location.hash==='#review');
})();
"""

