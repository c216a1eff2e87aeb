/**
 * Draws the animals with WebGL: one `gl.POINTS` draw call for all of them, positions in one
 * buffer (float32 x, y offsets) and flags in another (one byte each), both replaced with one
 * `bufferSubData` per change. Each point is a round sprite (the fragment shader discards the
 * corners) with a white outline: Okabe-Ito blue for an animal, bigger and vermillion for a tag
 * with an open alert. GLSL ES 1.00, so a WebGL 1 context does as well as a WebGL 2 one.
 */
import { ALERTED, type PackedPoints } from './animal-store.ts';

/** Diameter (CSS px, outline included) and the fill's share of it, as the canvas styles had. */
const ANIMAL = { diameter: 7.75, fill: 3.125 / 3.875 } as const;
const ALERT = { diameter: 16, fill: 6 / 8 } as const;
/** Okabe-Ito blue #0072B2 and vermillion #D55E00, as 0-1 RGB. */
const ANIMAL_RGB = [0, 114 / 255, 178 / 255] as const;
const ALERT_RGB = [213 / 255, 94 / 255, 0] as const;

const glslFloat = (n: number) => (Number.isInteger(n) ? `${n}.0` : String(n));
const glslVec3 = (rgb: readonly number[]) => `vec3(${rgb.map(glslFloat).join(', ')})`;

const VERTEX_SHADER = `
attribute vec2 a_position;
attribute float a_flags;
uniform mat3 u_toClip;
uniform float u_pixelRatio;
varying float v_alerted;
void main() {
  gl_Position = vec4((u_toClip * vec3(a_position, 1.0)).xy, 0.0, 1.0);
  v_alerted = mod(a_flags, ${glslFloat(2 * ALERTED)}) >= ${glslFloat(ALERTED)} ? 1.0 : 0.0;
  gl_PointSize = (v_alerted > 0.5 ? ${glslFloat(ALERT.diameter)} : ${glslFloat(ANIMAL.diameter)}) * u_pixelRatio;
}`;

const FRAGMENT_SHADER = `
precision mediump float;
varying float v_alerted;
void main() {
  // 0 at the point's centre, 1 on its rim.
  float r = 2.0 * length(gl_PointCoord - vec2(0.5));
  if (r > 1.0) discard;
  bool alerted = v_alerted > 0.5;
  float fill = alerted ? ${glslFloat(ALERT.fill)} : ${glslFloat(ANIMAL.fill)};
  vec3 color = alerted ? ${glslVec3(ALERT_RGB)} : ${glslVec3(ANIMAL_RGB)};
  gl_FragColor = vec4(r > fill ? vec3(1.0) : color, 1.0);
}`;

type Gl = WebGLRenderingContext | WebGL2RenderingContext;

export class AnimalPainter {
  private readonly gl: Gl;
  private readonly program: WebGLProgram;
  private readonly positions: WebGLBuffer;
  private readonly flags: WebGLBuffer;
  private readonly toClip: WebGLUniformLocation | null;
  private readonly pixelRatio: WebGLUniformLocation | null;
  private readonly positionAttribute: number;
  private readonly flagsAttribute: number;
  private capacity = 0;
  private count = 0;

  constructor(gl: Gl) {
    this.gl = gl;
    this.program = linkProgram(gl, VERTEX_SHADER, FRAGMENT_SHADER);
    this.positions = gl.createBuffer();
    this.flags = gl.createBuffer();
    this.toClip = gl.getUniformLocation(this.program, 'u_toClip');
    this.pixelRatio = gl.getUniformLocation(this.program, 'u_pixelRatio');
    this.positionAttribute = gl.getAttribLocation(this.program, 'a_position');
    this.flagsAttribute = gl.getAttribLocation(this.program, 'a_flags');
  }

  /** Replaces the points: one upload per buffer (a new allocation only when they grow). */
  upload(points: PackedPoints): void {
    const { gl } = this;
    if (points.count > this.capacity) {
      this.capacity = Math.max(points.count, Math.ceil(this.capacity * 1.5));
      gl.bindBuffer(gl.ARRAY_BUFFER, this.positions);
      gl.bufferData(gl.ARRAY_BUFFER, 8 * this.capacity, gl.DYNAMIC_DRAW);
      gl.bindBuffer(gl.ARRAY_BUFFER, this.flags);
      gl.bufferData(gl.ARRAY_BUFFER, this.capacity, gl.DYNAMIC_DRAW);
    }
    gl.bindBuffer(gl.ARRAY_BUFFER, this.positions);
    gl.bufferSubData(gl.ARRAY_BUFFER, 0, points.xy.subarray(0, 2 * points.count));
    gl.bindBuffer(gl.ARRAY_BUFFER, this.flags);
    gl.bufferSubData(gl.ARRAY_BUFFER, 0, points.flags.subarray(0, points.count));
    this.count = points.count;
  }

  /** Clears the canvas and draws every point; `toClip` from clipTransform (a mat3). */
  draw(width: number, height: number, toClip: Float32Array, pixelRatio: number): void {
    const { gl } = this;
    gl.viewport(0, 0, width, height);
    gl.clearColor(0, 0, 0, 0);
    gl.clear(gl.COLOR_BUFFER_BIT);
    if (this.count === 0) return;
    gl.useProgram(this.program);
    gl.uniformMatrix3fv(this.toClip, false, toClip);
    gl.uniform1f(this.pixelRatio, pixelRatio);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.positions);
    gl.enableVertexAttribArray(this.positionAttribute);
    gl.vertexAttribPointer(this.positionAttribute, 2, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.flags);
    gl.enableVertexAttribArray(this.flagsAttribute);
    gl.vertexAttribPointer(this.flagsAttribute, 1, gl.UNSIGNED_BYTE, false, 0, 0);
    // Opaque fragments or none (discarded): no blending, no depth test.
    gl.disable(gl.BLEND);
    gl.disable(gl.DEPTH_TEST);
    gl.drawArrays(gl.POINTS, 0, this.count);
  }
}

function compileShader(gl: Gl, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type);
  if (shader === null) throw new Error('WebGL could not create a shader (context lost?)');
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (gl.getShaderParameter(shader, gl.COMPILE_STATUS) !== true)
    throw new Error(`the animal layer's shader does not compile: ${gl.getShaderInfoLog(shader)}`);
  return shader;
}

function linkProgram(gl: Gl, vertex: string, fragment: string): WebGLProgram {
  const program = gl.createProgram();
  gl.attachShader(program, compileShader(gl, gl.VERTEX_SHADER, vertex));
  gl.attachShader(program, compileShader(gl, gl.FRAGMENT_SHADER, fragment));
  gl.linkProgram(program);
  if (gl.getProgramParameter(program, gl.LINK_STATUS) !== true)
    throw new Error(`the animal layer's shaders do not link: ${gl.getProgramInfoLog(program)}`);
  return program;
}

/** A WebGL context for the animals on a canvas (WebGL 2, else 1), or null without WebGL. */
export function animalContextOf(canvas: HTMLCanvasElement | OffscreenCanvas): Gl | null {
  const attributes: WebGLContextAttributes = {
    alpha: true,
    antialias: false,
    depth: false,
    stencil: false,
    premultipliedAlpha: true,
    preserveDrawingBuffer: false,
  };
  return (
    (canvas.getContext('webgl2', attributes) as WebGL2RenderingContext | null) ??
    (canvas.getContext('webgl', attributes) as WebGLRenderingContext | null)
  );
}
