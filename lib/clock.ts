/** The time source; tests freeze or move it. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
