/** Every route of this version of the API lives under this prefix. */
export const API_V1 = '/api/v1'
