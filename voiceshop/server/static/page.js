// voiceshop's page: sign in, talk (push-to-talk or hands-free), see the cart and the read-back.
// Plain JavaScript on purpose: one page, no build step. The protocol is described in
// voiceshop/server/web.py.
"use strict";

const $ = (id) => document.getElementById(id);
const SPEECH_START_BLOCKS = 3; // 60 ms above the threshold starts an utterance (hands-free)
const SPEECH_END_BLOCKS = 40; // 800 ms below it ends the utterance
const PRE_ROLL_BLOCKS = 15; // 300 ms kept from before the speech started
const MAX_UTTERANCE_BLOCKS = 1250; // 25 s, under the server's limit
const MIN_LEVEL = 0.01; // RMS under which nothing counts as speech

let socket = null;
let signedIn = false;
let serverVoice = false;
let secret = false;
let microphone = null; // {context, stream, node}
let pushing = false;
let handsFree = false;
let speaking = false; // a reply is being spoken: hands-free does not listen to it
let speakingTimer = null;
let awaitingSpeech = null; // {rate} of the PCM the next binary message holds
let utterance = null; // {blocks} while an utterance is being sent
const preRoll = [];
let loud = 0;
let quiet = 0;
let noiseFloor = 0.003;
let serverSpeechSeconds = 0;
let partials = 0; // partial transcripts shown so far
let browserSpeeches = 0; // replies given to the browser's own voice

function note(text) {
  $("status").textContent = text;
}

function addLine(kind, text) {
  const line = document.createElement("li");
  line.className = kind;
  line.textContent = text;
  $("conversation").appendChild(line);
  line.scrollIntoView({ block: "nearest" });
}

function money(value) {
  return value === null || value === undefined ? "" : value.toFixed(2);
}

function fillTable(body, lines) {
  body.replaceChildren();
  for (const line of lines) {
    const row = document.createElement("tr");
    for (const [cls, text] of [["n", String(line.quantity)], ["name", line.name], ["price", money(line.price)]]) {
      const cell = document.createElement("td");
      cell.className = cls;
      cell.textContent = text;
      row.appendChild(cell);
    }
    body.appendChild(row);
  }
}

function showState(state) {
  $("store").textContent = state.store ? `at ${state.store}` : "";
  fillTable($("cart"), state.cart);
  $("total").textContent = money(state.total);
  const readBack = state.read_back;
  $("readback-empty").hidden = readBack !== null;
  $("readback-table").hidden = readBack === null;
  fillTable($("readback"), readBack || []);
}

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(typeof message === "string" || message instanceof ArrayBuffer ? message : JSON.stringify(message));
  }
}

// The connection and sign-in

function connect() {
  return new Promise((resolve, reject) => {
    if (socket && socket.readyState === WebSocket.OPEN) {
      resolve();
      return;
    }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${location.host}/ws`);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error("cannot reach the server"));
    socket.onclose = () => {
      signedIn = false;
      enable(false);
      $("who").textContent = "disconnected";
      note("The connection to the server closed. Sign in again to go on.");
    };
    socket.onmessage = (event) => receive(event.data);
  });
}

async function signIn(event) {
  event.preventDefault();
  try {
    await connect();
  } catch (err) {
    $("signin-status").textContent = err.message;
    return;
  }
  send({ type: "hello", token: $("token").value, conversation: sessionStorage.getItem("voiceshop-conversation") });
}

function enable(on) {
  for (const id of ["push", "free", "typed-text", "typed-button"]) {
    $(id).disabled = !on;
  }
}

// What the server says

function receive(data) {
  if (data instanceof ArrayBuffer) {
    if (awaitingSpeech) {
      playServerSpeech(awaitingSpeech.rate, data);
      awaitingSpeech = null;
    }
    return;
  }
  const message = JSON.parse(data);
  switch (message.type) {
    case "welcome":
      signedIn = true;
      serverVoice = message.tts;
      sessionStorage.setItem("voiceshop-conversation", message.conversation);
      $("who").textContent = `signed in as ${message.user}`;
      $("signin-status").textContent = "";
      $("signin").hidden = true;
      showState(message.state);
      enable(true);
      note("Hold the button (or the space bar) and speak, or turn hands-free on.");
      break;
    case "denied":
      $("signin-status").textContent = message.text;
      break;
    case "partial":
      $("partial").textContent = message.text;
      partials += 1;
      document.body.dataset.partials = String(partials);
      document.body.dataset.lastPartial = message.text;
      break;
    case "transcript":
      $("partial").textContent = "";
      addLine("you", message.text || "(nothing heard)");
      break;
    case "reply":
      secret = message.secret;
      addLine("shop", message.text);
      showState(message.state);
      if (secret) {
        note("Say your purchase code: it will not be shown.");
      }
      if (!serverVoice) {
        speakInBrowser(message.text);
      }
      break;
    case "speech":
      if (message.rate > 0) {
        awaitingSpeech = { rate: message.rate };
      } else {
        speakInBrowser(lastReply());
      }
      break;
    case "error":
      addLine("note", message.text);
      if (message.code === "busy") {
        speakInBrowser(message.text);
      }
      break;
    default:
      break;
  }
}

function lastReply() {
  const replies = document.querySelectorAll("#conversation li.shop");
  return replies.length ? replies[replies.length - 1].textContent : "";
}

// Speaking the reply

function startSpeaking(seconds) {
  speaking = true;
  clearTimeout(speakingTimer);
  speakingTimer = setTimeout(() => { speaking = false; }, (seconds + 0.5) * 1000);
}

function playServerSpeech(rate, buffer) {
  const samples = new Int16Array(buffer);
  if (!microphone && !playServerSpeech.context) {
    playServerSpeech.context = new AudioContext();
  }
  const context = microphone ? microphone.context : playServerSpeech.context;
  const sound = context.createBuffer(1, samples.length, rate);
  const channel = sound.getChannelData(0);
  for (let i = 0; i < samples.length; i++) {
    channel[i] = samples[i] / 32768;
  }
  const source = context.createBufferSource();
  source.buffer = sound;
  source.connect(context.destination);
  source.onended = () => { speaking = false; };
  startSpeaking(sound.duration);
  source.start();
  serverSpeechSeconds += sound.duration;
  document.body.dataset.serverSpeechSeconds = serverSpeechSeconds.toFixed(2);
}

function speakInBrowser(text) {
  if (!("speechSynthesis" in window) || !text) {
    return;
  }
  browserSpeeches += 1;
  document.body.dataset.browserSpeeches = String(browserSpeeches);
  const spoken = new SpeechSynthesisUtterance(text);
  spoken.onend = () => { speaking = false; };
  startSpeaking(text.split(/\s+/).length * 0.5);
  speechSynthesis.speak(spoken);
}

// The microphone

async function openMicrophone() {
  if (microphone) {
    return microphone;
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: false },
  });
  const context = new AudioContext();
  await context.audioWorklet.addModule("capture-worklet.js");
  const node = new AudioWorkletNode(context, "capture-16k");
  node.port.onmessage = (event) => heard(event.data.pcm, event.data.level);
  context.createMediaStreamSource(stream).connect(node);
  const mute = context.createGain(); // keeps the worklet pulled without playing the microphone
  mute.gain.value = 0;
  node.connect(mute).connect(context.destination);
  await context.resume();
  microphone = { context, stream, node };
  return microphone;
}

function startUtterance() {
  utterance = { blocks: 0 };
  send({ type: "start", rate: 16000 });
}

function stopUtterance() {
  if (utterance) {
    utterance = null;
    send({ type: "stop" });
  }
}

function sendBlock(pcm) {
  send(pcm);
  utterance.blocks += 1;
  if (utterance.blocks >= MAX_UTTERANCE_BLOCKS) {
    stopUtterance();
  }
}

function heard(pcm, level) {
  if (pushing) {
    if (utterance) {
      sendBlock(pcm);
    }
    return;
  }
  if (!handsFree || speaking) {
    preRoll.length = 0;
    loud = 0;
    return;
  }
  const threshold = Math.max(MIN_LEVEL, noiseFloor * 3);
  if (utterance) {
    sendBlock(pcm);
    quiet = level < threshold ? quiet + 1 : 0;
    if (quiet >= SPEECH_END_BLOCKS) {
      quiet = 0;
      stopUtterance();
    }
    return;
  }
  preRoll.push(pcm);
  if (preRoll.length > PRE_ROLL_BLOCKS) {
    preRoll.shift();
  }
  if (level >= threshold) {
    loud += 1;
    if (loud >= SPEECH_START_BLOCKS) {
      loud = 0;
      quiet = 0;
      startUtterance();
      $("partial").textContent = "…";
      for (const block of preRoll.splice(0)) {
        sendBlock(block);
      }
    }
  } else {
    loud = 0;
    noiseFloor = 0.95 * noiseFloor + 0.05 * level;
  }
}

async function pushStart(event) {
  if (event) {
    event.preventDefault();
  }
  if (pushing || !signedIn) {
    return;
  }
  pushing = true;
  $("push").classList.add("on");
  try {
    await openMicrophone();
  } catch (err) {
    pushing = false;
    $("push").classList.remove("on");
    note(`No microphone: ${err.message}`);
    return;
  }
  if (!pushing) {
    return; // released while the microphone opened
  }
  stopUtterance(); // a hands-free utterance in progress gives way
  startUtterance();
  note("Listening… let go when you are done.");
}

function pushStop() {
  if (!pushing) {
    return;
  }
  pushing = false;
  $("push").classList.remove("on");
  stopUtterance();
  note("Thinking…");
}

async function toggleHandsFree() {
  if (!handsFree) {
    try {
      await openMicrophone();
    } catch (err) {
      note(`No microphone: ${err.message}`);
      return;
    }
  }
  handsFree = !handsFree;
  if (!handsFree) {
    stopUtterance();
  }
  $("free").classList.toggle("on", handsFree);
  $("free").setAttribute("aria-pressed", String(handsFree));
  $("free").textContent = handsFree ? "Hands-free: on" : "Hands-free: off";
  note(handsFree ? "Listening: just speak." : "Hands-free is off.");
}

function typed(event) {
  event.preventDefault();
  const text = $("typed-text").value.trim();
  if (!text || !signedIn) {
    return;
  }
  addLine("you", secret ? "••••" : text);
  send({ type: "say", text });
  $("typed-text").value = "";
}

$("signin").addEventListener("submit", signIn);
$("typed").addEventListener("submit", typed);
$("push").addEventListener("pointerdown", pushStart);
$("push").addEventListener("pointerup", pushStop);
$("push").addEventListener("pointerleave", pushStop);
$("free").addEventListener("click", toggleHandsFree);
document.addEventListener("keydown", (event) => {
  if (event.code === "Space" && !event.repeat && signedIn && document.activeElement.tagName !== "INPUT") {
    pushStart(event);
  }
});
document.addEventListener("keyup", (event) => {
  if (event.code === "Space" && pushing) {
    pushStop();
  }
});
// A token in the address's fragment (#token=...), which browsers never send to the server,
// signs in at once: handy as a bookmark on the shopper's own device.
function signInFromFragment() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get("token") !== null) {
    $("token").value = fragment.get("token");
    history.replaceState(null, "", location.pathname);
    $("signin").requestSubmit();
  }
}
window.addEventListener("hashchange", signInFromFragment);
signInFromFragment();
