// The camera: the back camera's picture in a <video>, read for QR codes a few times a second.
// The browser's own BarcodeDetector when it reads QR codes (Android Chrome, Safari on iOS 17+
// with the flag, macOS); otherwise jsQR (npm "jsqr", vendored), loaded only then.

const INTERVAL_MS = 150;      // between two reads: enough for a steady hand, light on a phone
const MAX_WIDTH = 800;        // frames are scaled down to this before jsQR reads them
const SAME_TEXT_MS = 4000;    // the same code seen again this soon is the same customer

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = url;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${url}`));
    document.head.append(script);
  });
}

async function nativeReader() {
  if (!("BarcodeDetector" in window)) { return null; }
  try {
    const formats = await window.BarcodeDetector.getSupportedFormats();
    if (!formats.includes("qr_code")) { return null; }
    const detector = new window.BarcodeDetector({formats: ["qr_code"]});
    return async (video) => {
      const found = await detector.detect(video);
      return found.length ? found[0].rawValue : null;
    };
  } catch (error) {
    return null;
  }
}

async function jsqrReader(url) {
  if (!window.jsQR) { await loadScript(url); }
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", {willReadFrequently: true});
  return async (video) => {
    const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    // "attemptBoth": a phone in dark mode may show the code light on dark.
    const found = window.jsQR(image.data, image.width, image.height,
                              {inversionAttempts: "attemptBoth"});
    return found ? found.data : null;
  };
}

export class Camera {
  /** ``onText(text)`` is called for each code read; reading pauses until ``resume()``. */
  constructor(video, {jsqrUrl, onText}) {
    this.video = video;
    this.jsqrUrl = jsqrUrl;
    this.onText = onText;
    this.stream = null;
    this.read = null;
    this.paused = false;
    this.timer = null;
    this.last = {text: null, at: 0};
  }

  get running() { return this.stream !== null; }

  async start() {
    if (this.running) { return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error("no camera API");
    }
    this.stream = await navigator.mediaDevices.getUserMedia(
      {video: {facingMode: {ideal: "environment"}}, audio: false});
    this.video.srcObject = this.stream;
    this.video.hidden = false;
    await this.video.play();
    this.read = this.read || await nativeReader() || await jsqrReader(this.jsqrUrl);
    this.paused = false;
    this.schedule();
  }

  stop() {
    clearTimeout(this.timer);
    if (this.stream) { this.stream.getTracks().forEach((track) => track.stop()); }
    this.stream = null;
    this.video.srcObject = null;
    this.video.hidden = true;
  }

  pause() { this.paused = true; }

  resume() {
    this.paused = false;
    if (this.running) { this.schedule(); }
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), INTERVAL_MS);
  }

  async tick() {
    if (!this.running || this.paused) { return; }
    let text = null;
    if (this.video.readyState >= 2 && this.video.videoWidth) {
      try {
        text = await this.read(this.video);
      } catch (error) {
        text = null;  // a frame that could not be read: the next one will do
      }
    }
    const now = Date.now();
    const repeat = text === this.last.text && now - this.last.at < SAME_TEXT_MS;
    if (text) { this.last = {text, at: now}; }
    if (text && !repeat && this.running && !this.paused) {
      this.paused = true;
      this.onText(text);
      return;
    }
    this.schedule();
  }
}
