/** A model file that cannot be read: truncated, corrupted, or not what it claims to be. Platform-free. */
export class ModelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}
