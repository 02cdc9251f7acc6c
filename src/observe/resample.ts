/**
 * PIL's separable resampling (Resample.c), reproduced exactly: centre-aligned sample positions, the
 * kernel's support widened by the scale when shrinking, coefficients normalised then rounded to
 * 22-bit fixed point, a horizontal pass then a vertical pass with 8-bit rounding in between.
 *
 * Used where an axis is enlarged: libvips (sharp) aligns upsampled pixels differently from PIL (a
 * sub-pixel shift that reaches ~100 levels at sharp edges), while its shrinking matches PIL within
 * a level on average and is several times faster, so sharp keeps the downscaling.
 */
export type ResampleFilter = 'bicubic' | 'bilinear' | 'lanczos3';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

const FILTERS: Record<ResampleFilter, { support: number; f: (x: number) => number }> = {
  bicubic: {
    support: 2,
    f: (x) => {
      const a = -0.5;
      x = Math.abs(x);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
  bilinear: { support: 1, f: (x) => (Math.abs(x) < 1 ? 1 - Math.abs(x) : 0) },
  lanczos3: {
    support: 3,
    f: (x) => {
      const sinc = (v: number): number => (v === 0 ? 1 : Math.sin(Math.PI * v) / (Math.PI * v));
      return x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
    },
  },
};

interface Coefficients {
  ksize: number;
  bounds: Int32Array; // per output: xmin, count
  k: Int32Array; // per output: ksize fixed-point weights
}

function coefficients(inSize: number, outSize: number, filter: ResampleFilter): Coefficients {
  const { support: base, f } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = base * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const k = new Int32Array(outSize * ksize);
  const pre = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    const ss = 1 / filterscale;
    // C's (int) cast truncates toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = f((x + xmin - center + 0.5) * ss);
      pre[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? (pre[x] as number) / ww : (pre[x] as number);
      k[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, k };
}

function clip8(ss: number): number {
  const v = Math.floor(ss / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function horizontal(src: Uint8Array, w: number, h: number, outW: number, c: Coefficients): Uint8Array {
  const out = new Uint8Array(outW * h * 3);
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = c.bounds[xx * 2] as number, n = c.bounds[xx * 2 + 1] as number, ko = xx * c.ksize;
      let s0 = ONE / 2, s1 = ONE / 2, s2 = ONE / 2;
      for (let x = 0; x < n; x++) {
        const kv = c.k[ko + x] as number, p = row + (x + xmin) * 3;
        s0 += (src[p] as number) * kv; s1 += (src[p + 1] as number) * kv; s2 += (src[p + 2] as number) * kv;
      }
      const o = (y * outW + xx) * 3;
      out[o] = clip8(s0); out[o + 1] = clip8(s1); out[o + 2] = clip8(s2);
    }
  }
  return out;
}

function vertical(src: Uint8Array, w: number, outH: number, c: Coefficients): Uint8Array {
  const out = new Uint8Array(w * outH * 3);
  const stride = w * 3;
  for (let yy = 0; yy < outH; yy++) {
    const ymin = c.bounds[yy * 2] as number, n = c.bounds[yy * 2 + 1] as number, ko = yy * c.ksize;
    for (let i = 0; i < stride; i++) {
      let s = ONE / 2;
      for (let y = 0; y < n; y++) s += (src[(y + ymin) * stride + i] as number) * (c.k[ko + y] as number);
      out[yy * stride + i] = clip8(s);
    }
  }
  return out;
}

/** Packed RGB w x h -> outW x outH, as PIL's Image.resize with the same filter. */
export function resampleRgb(src: Uint8Array, w: number, h: number, outW: number, outH: number, filter: ResampleFilter): Uint8Array {
  let img = src;
  if (outW !== w) img = horizontal(img, w, h, outW, coefficients(w, outW, filter));
  if (outH !== h) img = vertical(img, outW, outH, coefficients(h, outH, filter));
  return img === src ? src.slice() : img;
}

/** Centres `img` (w x h) on a black outW x outH canvas, at PIL's paste offset. */
export function padCentered(img: Uint8Array, w: number, h: number, outW: number, outH: number): Uint8Array {
  const out = new Uint8Array(outW * outH * 3);
  const left = Math.floor((outW - w) / 2), top = Math.floor((outH - h) / 2);
  for (let y = 0; y < h; y++) out.set(img.subarray(y * w * 3, (y + 1) * w * 3), ((y + top) * outW + left) * 3);
  return out;
}
