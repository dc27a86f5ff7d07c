// The web page's behaviour (page.html): a dropped, chosen or recorded sound goes to POST
// v1/predict and v1/spectrogram; #selftest synthesises a short heart-sound-like WAV in the page
// and sends it through the same path (the headless browser test uses this).
"use strict";
const $ = (id) => document.getElementById(id);

function setStatus(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "muted";
}

// 16-bit PCM mono WAV from float samples in [-1, 1].
function encodeWav(samples, rate) {
  const buf = new ArrayBuffer(44 + samples.length * 2), v = new DataView(buf);
  const text = (o, s) => { for (let i = 0; i < s.length; i++) v.setUint8(o + i, s.charCodeAt(i)); };
  text(0, "RIFF"); v.setUint32(4, 36 + samples.length * 2, true); text(8, "WAVE");
  text(12, "fmt "); v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 1, true);
  v.setUint32(24, rate, true); v.setUint32(28, rate * 2, true); v.setUint16(32, 2, true); v.setUint16(34, 16, true);
  text(36, "data"); v.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]));
    v.setInt16(44 + i * 2, s < 0 ? s * 32768 : s * 32767, true);
  }
  return new Blob([buf], { type: "audio/wav" });
}

function drawWave(samples) {
  const c = $("wave"), g = c.getContext("2d"), w = c.width, h = c.height;
  g.clearRect(0, 0, w, h);
  g.fillStyle = "#1f77b4";
  const per = Math.max(1, Math.floor(samples.length / w));
  for (let x = 0; x < w; x++) {
    let lo = 1, hi = -1;
    for (let i = x * per; i < Math.min(samples.length, (x + 1) * per); i++) {
      lo = Math.min(lo, samples[i]); hi = Math.max(hi, samples[i]);
    }
    if (hi < lo) break;
    g.fillRect(x, (1 - hi) * h / 2, 1, Math.max(1, (hi - lo) * h / 2));
  }
}

async function waveformOf(blob) {
  try {
    const ctx = new OfflineAudioContext(1, 1, 44100);
    const audio = await ctx.decodeAudioData(await blob.arrayBuffer());
    drawWave(audio.getChannelData(0));
  } catch (e) {
    const g = $("wave").getContext("2d");
    g.clearRect(0, 0, $("wave").width, $("wave").height);
    g.fillStyle = "#666"; g.font = "16px sans-serif";
    g.fillText("this browser cannot draw this format (the server still reads it)", 10, 70);
  }
}

async function errorText(res) {
  try { return (await res.json()).error; } catch (e) { return res.status + " " + res.statusText; }
}

// A multi-label model (r.thresholds present) answers per valve disease: each bar shows its own
// probability with the operating threshold marked, and the verdict names the suspected diseases.
function showResult(r) {
  const names = Object.keys(r.probabilities), multi = !!r.thresholds;
  $("verdict").textContent = multi ? r.verdict
                                   : r["class"] + " (" + (100 * r.probabilities[r["class"]]).toFixed(0) + " %)";
  $("verdict").dataset["class"] = r["class"];
  const bars = $("bars");
  bars.textContent = "";
  for (const name of names) {
    const p = r.probabilities[name], row = document.createElement("div");
    const suspected = multi ? r.findings.includes(name) : name === r["class"];
    row.className = "bar" + (suspected ? " top" : "");
    row.dataset["class"] = name;
    const label = document.createElement("span"); label.textContent = name;
    const track = document.createElement("div"); track.className = "track";
    const fill = document.createElement("div"); fill.className = "fill"; fill.style.width = (100 * p).toFixed(1) + "%";
    track.appendChild(fill);
    if (multi) {
      const mark = document.createElement("div"); mark.className = "threshold";
      mark.style.left = (100 * r.thresholds[name]).toFixed(1) + "%";
      mark.title = "threshold " + r.thresholds[name].toFixed(2);
      track.appendChild(mark);
    }
    const value = document.createElement("span"); value.textContent = p.toFixed(3);
    row.append(label, track, value);
    bars.appendChild(row);
  }
  let details = r.duration_s.toFixed(1) + " s at " + r.sample_rate_hz + " Hz; model " + r.model + " (" + r.preset +
                "); " + r.elapsed_ms.toFixed(0) + " ms";
  if (r.quality && r.quality.status !== "ok") details += "; signal quality: " + r.quality.status + " (result unreliable)";
  $("details").textContent = details;
  // Why: which phase of the cardiac cycle and which band the answer relied on (occlusion).
  const why = r.explanation || {};
  $("why").textContent = why.sentence ? "Why: " + why.sentence : (why.unavailable ? "Why: " + why.unavailable : "");
}

// Every source of audio (drop, file chooser, microphone, self-test) ends here.
async function handle(blob, name) {
  document.body.dataset.state = "busy";
  setStatus("Classifying " + name + " ...");
  const form = () => { const f = new FormData(); f.append("file", blob, name); return f; };
  try {
    const [pred, spec] = await Promise.all([
      fetch("v1/predict?explain=1", { method: "POST", body: form() }),
      fetch("v1/spectrogram", { method: "POST", body: form() }),
      waveformOf(blob),
    ]);
    if (!pred.ok) throw new Error(await errorText(pred));
    showResult(await pred.json());
    if (spec.ok) $("spec").src = URL.createObjectURL(await spec.blob());
    $("output").classList.remove("hidden");
    setStatus(name);
    document.body.dataset.state = "done";
  } catch (e) {
    setStatus("Could not classify " + name + ": " + e.message, true);
    document.body.dataset.state = "error";
  }
}

$("file").addEventListener("change", () => { if ($("file").files[0]) handle($("file").files[0], $("file").files[0].name); });
const drop = $("drop");
["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
drop.addEventListener("drop", (e) => { const f = e.dataTransfer.files[0]; if (f) handle(f, f.name); });

// Microphone: raw samples through a ScriptProcessor (plain WebAudio, every browser), then WAV.
let recorder = null;
$("record").addEventListener("click", async () => {
  if (recorder) {
    const r = recorder; recorder = null;
    r.stream.getTracks().forEach((t) => t.stop());
    r.node.disconnect(); r.source.disconnect();
    const n = r.chunks.reduce((a, c) => a + c.length, 0), all = new Float32Array(n);
    let o = 0; for (const c of r.chunks) { all.set(c, o); o += c.length; }
    await r.ctx.close();
    $("record").textContent = "Record";
    handle(encodeWav(all, r.ctx.sampleRate), "microphone.wav");
    return;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
    const ctx = new AudioContext(), source = ctx.createMediaStreamSource(stream);
    const node = ctx.createScriptProcessor(4096, 1, 1), chunks = [];
    node.onaudioprocess = (e) => chunks.push(new Float32Array(e.inputBuffer.getChannelData(0)));
    source.connect(node); node.connect(ctx.destination);
    recorder = { stream, ctx, source, node, chunks };
    $("record").textContent = "Stop and classify";
    setStatus("Recording... hold the stethoscope still, at least 5 s.");
  } catch (e) {
    setStatus("No microphone: " + e.message + " (recording needs https or localhost)", true);
  }
});

// #selftest: 6 s at 4 kHz of S1/S2-like thumps (decaying 50 and 80 Hz tones) with a little noise.
function selftestWav() {
  const rate = 4000, n = 6 * rate, x = new Float32Array(n);
  let seed = 1;
  const noise = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 1073741824 - 1; };
  for (let beat = 0; beat < 8; beat++) {
    for (const [at, hz] of [[0, 50], [0.3, 80]]) {
      const start = Math.floor((beat * 0.8 + at) * rate);
      for (let i = 0; i < 0.1 * rate && start + i < n; i++)
        x[start + i] += 0.6 * Math.exp(-i / (0.02 * rate)) * Math.sin(2 * Math.PI * hz * i / rate);
    }
  }
  for (let i = 0; i < n; i++) x[i] += 0.01 * noise();
  return encodeWav(x, rate);
}
if (location.hash === "#selftest") handle(selftestWav(), "selftest.wav");
