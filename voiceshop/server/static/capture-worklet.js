// voiceshop: the microphone as 16 kHz mono 16-bit PCM, in blocks of 20 ms.
// Runs in the page's AudioWorklet at the AudioContext's own rate (usually 48 kHz): each output
// sample is the mean of the input samples it spans (a box low-pass filter, then decimation),
// which keeps speech intelligible for the recognizer without aliasing much. Each block goes to
// the page with its loudness (RMS), which the hands-free mode uses to find speech.
"use strict";

const TARGET_RATE = 16000;
const BLOCK = 320; // 20 ms at 16 kHz

class Capture16k extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / TARGET_RATE; // input samples per output sample
    this.position = 0;
    this.sum = 0;
    this.count = 0;
    this.block = new Int16Array(BLOCK);
    this.filled = 0;
    this.energy = 0;
  }

  process(inputs) {
    const input = inputs[0];
    if (!input || input.length === 0) {
      return true;
    }
    const frames = input[0].length;
    for (let i = 0; i < frames; i++) {
      let value = 0;
      for (let c = 0; c < input.length; c++) {
        value += input[c][i];
      }
      this.sum += value / input.length;
      this.count += 1;
      this.position += 1;
      while (this.position >= this.step) {
        this.position -= this.step;
        const sample = Math.max(-1, Math.min(1, this.sum / Math.max(1, this.count)));
        this.sum = 0;
        this.count = 0;
        this.energy += sample * sample;
        this.block[this.filled++] = Math.round(sample * 32767);
        if (this.filled === BLOCK) {
          const level = Math.sqrt(this.energy / BLOCK);
          this.port.postMessage({ pcm: this.block.buffer, level }, [this.block.buffer]);
          this.block = new Int16Array(BLOCK);
          this.filled = 0;
          this.energy = 0;
        }
      }
    }
    return true;
  }
}

registerProcessor("capture-16k", Capture16k);
