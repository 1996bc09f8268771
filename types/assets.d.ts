declare module '*.css' {
  const path: string;
  export default path;
}
